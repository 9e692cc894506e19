"""Static preflight over a Terraform plan: what AWS would refuse or break that no emulator shows.

`python -m preflight --env dev|staging|prod [--plan-json FILE]` reads `terraform show -json` of the
plan (made against the local stack when no file is given) plus the handler code, and prints each
finding with the resource address and the fix; the exit status is 1 when there is any finding.
The checks live in one module each (concurrency, timeouts, api, placeholders, backend, iam); every
check is a function `check(ctx) -> list[Finding]` over a `Context` (preflight.plan).
"""
