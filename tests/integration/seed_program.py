"""A program written for the module this one replaces, kept unmodified.

Run by tests/integration/test_seed_program.py with BUCKET_HOST, BUCKET_PORT, BUCKET_USER
and BUCKET_PASSWORD set; it prints each call's result, one per line.
"""

from backend.src.libs.bucket import Bucket

bucket = Bucket(debug=True)
print(bucket.is_connected())
print(bucket.create_bucket("application-storage"))
print(bucket.upload_file(bucket_name="application-storage", file_path="/tmp/data.json", key_name="config/data.json"))
print(bucket.get_bucket_files("application-storage"))
print(bucket.get_bucket_file("application-storage", "config/data.json")["file_size"])
print(bucket.download_file(bucket_name="application-storage", key_name="config/data.json", destination_path="/tmp/downloaded_data.json"))
print(bucket.delete_file("application-storage", "config/data.json"))
print(bucket.disconnect())
