"""The local SageMaker model: synthetic degradation data (degradation_data), training (train),
the artifact (artifact.json) and the InvokeEndpoint answer (serving)."""
