//! S3 (moto).
