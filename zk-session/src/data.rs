//! What a node's data can be passed as.

use bytes::Bytes;

/// Anything a node's data can be made from: owned or borrowed bytes and strings.
///
/// `Bytes`, `Vec<u8>`, `String` and `Box<[u8]>` become the request's payload
/// without a copy; borrowed data (`&[u8]`, `&str`, `&String`, `&Vec<u8>`, byte-string
/// literals) is copied once, so it need not outlive the call.
///
/// ```
/// use zk_session::{CreateMode, Request};
/// let value = String::from("config v2");
/// let by_ref = Request::create("/a", &value, CreateMode::Persistent);
/// let literal = Request::create("/b", b"raw", CreateMode::Persistent);
/// let owned = Request::create("/c", vec![1u8, 2, 3], CreateMode::Persistent);
/// # let _ = (by_ref, literal, owned);
/// ```
pub trait IntoData {
    /// The data as the payload of a request.
    fn into_data(self) -> Bytes;
}

impl IntoData for Bytes {
    fn into_data(self) -> Bytes {
        self
    }
}

impl IntoData for &Bytes {
    fn into_data(self) -> Bytes {
        self.clone()
    }
}

impl IntoData for Vec<u8> {
    fn into_data(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoData for Box<[u8]> {
    fn into_data(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoData for String {
    fn into_data(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoData for &[u8] {
    fn into_data(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl<const N: usize> IntoData for &[u8; N] {
    fn into_data(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl IntoData for &Vec<u8> {
    fn into_data(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl IntoData for &str {
    fn into_data(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

impl IntoData for &String {
    fn into_data(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_bytes_are_not_copied() {
        let b = Bytes::from(vec![7u8; 64]);
        let ptr = b.as_ptr();
        assert_eq!(b.into_data().as_ptr(), ptr);
        let v = vec![7u8; 64];
        let ptr = v.as_ptr();
        assert_eq!(v.into_data().as_ptr(), ptr);
    }

    #[test]
    fn borrowed_data_of_every_shape_gives_the_same_payload() {
        let s = String::from("v");
        let v = b"v".to_vec();
        let all = [
            s.as_str().into_data(),
            (&s).into_data(),
            (&v).into_data(),
            v.as_slice().into_data(),
            b"v".into_data(),
            s.clone().into_data(),
        ];
        assert!(all.iter().all(|d| d.as_ref() == b"v"));
    }
}
