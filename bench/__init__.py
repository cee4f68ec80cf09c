"""The benchmark: this project beside raw boto3, minio-py and obstore (``make bench``)."""
