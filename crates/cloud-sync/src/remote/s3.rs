//! S3 and S3-compatible servers (object_store's `aws` backend).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use super::AsyncRemote;
use crate::error::{ConfigProblem, Error};
use crate::key::Prefix;

/// A credential. Its `Debug` and `Display` print `***`, so configurations and errors can
/// be logged safely; [`Secret::expose`] is the only way to the value.
///
/// ```
/// let secret = cloud_sync::Secret::new("hunter2");
/// assert_eq!(format!("{secret:?} {secret}"), "*** ***");
/// assert_eq!(secret.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where and how to reach an S3 bucket. `Debug` never shows the credentials.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The region (`us-east-1` when unset).
    pub region: Option<String>,
    /// An S3-compatible endpoint such as `http://127.0.0.1:9000` (AWS when unset). Must not
    /// contain credentials.
    pub endpoint: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<Secret>,
    /// A session token, for temporary credentials.
    pub session_token: Option<Secret>,
    /// Allow plain `http://` endpoints (loopback test servers); HTTPS otherwise.
    pub allow_http: bool,
    /// Timeout of one request.
    pub timeout: Duration,
    /// How many times a failed request is retried (with exponential backoff) by the
    /// client; conditional-write refusals are never retried.
    pub max_retries: usize,
}

impl S3Config {
    /// A configuration for `bucket` with no credentials, a 30 s timeout and 3 retries.
    pub fn new(bucket: impl Into<String>) -> S3Config {
        S3Config {
            bucket: bucket.into(),
            region: None,
            endpoint: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            allow_http: false,
            timeout: Duration::from_secs(30),
            max_retries: 3,
        }
    }

    /// Reads the usual environment variables over [`S3Config::new`]: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL` (plain `http://` allowed only when
    /// `AWS_ALLOW_HTTP=true`).
    pub fn from_env(bucket: impl Into<String>) -> S3Config {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        S3Config {
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            endpoint: var("AWS_ENDPOINT_URL"),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY").map(Secret),
            session_token: var("AWS_SESSION_TOKEN").map(Secret),
            allow_http: var("AWS_ALLOW_HTTP").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            ..S3Config::new(bucket)
        }
    }
}

impl S3Config {
    /// The `object_store` client this configuration describes, for callers that wrap it
    /// (request counting, instrumentation) before handing it to
    /// [`AsyncRemote::from_store`]. Conditional writes use `If-None-Match: *` and
    /// `If-Match: <etag>`.
    pub fn object_store(&self) -> Result<Arc<dyn ObjectStore>, Error> {
        if let Some(endpoint) = &self.endpoint {
            // `scheme://user:password@host` would put a credential into every error and
            // log line that names the endpoint.
            let authority = endpoint.split("://").nth(1).unwrap_or(endpoint);
            if authority.split('/').next().unwrap_or("").contains('@') {
                return Err(Error::Config {
                    reason: ConfigProblem::CredentialsInEndpoint,
                    source: None,
                });
            }
        }
        // Client options first: `with_allow_http` writes into them, and setting them
        // afterwards would silently reset it.
        let mut builder = AmazonS3Builder::new()
            .with_client_options(ClientOptions::new().with_timeout(self.timeout))
            .with_allow_http(self.allow_http)
            .with_bucket_name(&self.bucket)
            .with_region(self.region.as_deref().unwrap_or("us-east-1"))
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: self.max_retries,
                retry_timeout: self.timeout.saturating_mul(4),
            });
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &self.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &self.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        if let Some(token) = &self.session_token {
            builder = builder.with_token(token.expose());
        }
        let store = builder.build().map_err(|source| Error::Config {
            reason: ConfigProblem::Bucket {
                bucket: self.bucket.clone(),
            },
            source: Some(Box::new(source)),
        })?;
        Ok(Arc::new(store))
    }

    /// How this bucket is named in descriptions and errors (no secrets).
    pub fn description(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("s3 bucket {} at {endpoint}", self.bucket),
            None => format!("s3 bucket {}", self.bucket),
        }
    }
}

impl AsyncRemote {
    /// An S3 or S3-compatible bucket (see [`S3Config::object_store`]).
    pub fn s3(config: &S3Config, prefix: Prefix) -> Result<AsyncRemote, Error> {
        Ok(AsyncRemote::from_store(
            config.object_store()?,
            prefix,
            config.description(),
        ))
    }
}
