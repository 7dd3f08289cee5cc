//! The base station (基站): devices upload their signed entries here when they come back from a
//! shift; each is verified on arrival with the same verifier as the bundle verifier and becomes
//! a leaf of the server's Merkle log, and the device gets a receipt for it.
//!
//! [`service`] is the logic, tested without HTTP; [`storage`] the trait it keeps its state
//! behind (crate `qc-station-storage`), with [`SqliteStorage`] the embedded backend.

#[doc(hidden)]
pub mod fixtures;
pub mod http;
mod metrics;
pub mod service;

pub use qc_station_sqlite::{SqliteStorage, blob_key};
pub use qc_station_storage as storage;

pub use qc_station_storage::{Storage, StorageError};
pub use service::{Draw, Identity, Service, ServiceError, Standing, Verified};
