//! A byte-level reader over [`arbitrary::Unstructured`], with a matching writer, so that
//! seed inputs can be built from readable descriptions (see `seeds`).
//!
//! Every read takes bytes from the front, in order; integers are big-endian. A read past
//! the end returns `None` (the interpreters then stop).

use arbitrary::{Arbitrary, Unstructured};

/// Reads fuzzer input front to back.
pub(crate) struct Input<'a> {
    u: Unstructured<'a>,
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Input {
            u: Unstructured::new(data),
        }
    }

    /// Bytes left.
    pub(crate) fn len(&self) -> usize {
        self.u.len()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        self.u.bytes(n).ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn i32(&mut self) -> Option<i32> {
        self.u32().map(|v| v as i32)
    }

    /// One of `items`, picked by one byte (modulo).
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        let b = self.u8()?;
        Some(items[usize::from(b) % items.len()])
    }

    /// A length-prefixed (one byte) slice; shorter if the input ends.
    pub(crate) fn short_bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u8()?);
        let n = n.min(self.u.len());
        self.bytes(n)
    }

    /// A value from `arbitrary` (its own layout; seeds do not use this).
    pub(crate) fn arbitrary<T: Arbitrary<'a>>(&mut self) -> Option<T> {
        T::arbitrary(&mut self.u).ok()
    }

    /// Everything left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let n = self.u.len();
        self.u.bytes(n).unwrap_or(&[])
    }
}

/// Writes input in the layout [`Input`] reads.
#[derive(Default)]
pub(crate) struct Output {
    pub(crate) buf: Vec<u8>,
}

impl Output {
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// The writer side of [`Input::short_bytes`] (at most 255 bytes).
    pub(crate) fn short_bytes(&mut self, b: &[u8]) -> &mut Self {
        let n = b.len().min(255);
        self.u8(n as u8).bytes(&b[..n])
    }

    /// The index `i` of a [`Input::pick`].
    pub(crate) fn pick(&mut self, i: usize) -> &mut Self {
        self.u8(u8::try_from(i).expect("pick index fits a byte"))
    }
}
