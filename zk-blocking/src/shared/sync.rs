//! Locks that outlive a panic: no user code runs under the client's locks, so a
//! poisoned one only means some thread died elsewhere; the data is still whole.

use std::sync::{Mutex, MutexGuard};

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
