//! Internal macros: wire enums with an `Unknown(i32)` case, and jute records.

/// Declares an `i32`-valued enum that keeps unknown wire values as `Unknown(i32)`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know (for example from a newer server).
            /// [`Self::from_i32`] never produces it for a known value.
            Unknown(i32),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// Maps a wire value; values this crate does not know become `Unknown`.
            pub const fn from_i32(value: i32) -> Self {
                match value {
                    $($value => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }

            /// The wire value.
            pub const fn to_i32(self) -> i32 {
                match self {
                    $($name::$variant => $value,)*
                    $name::Unknown(v) => v,
                }
            }

            /// The upstream constant name, or `"UNKNOWN"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown(_) => "UNKNOWN",
                }
            }

            /// Whether this is a value this crate knows.
            pub const fn is_known(self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl From<i32> for $name {
            fn from(value: i32) -> Self {
                Self::from_i32(value)
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> i32 {
                value.to_i32()
            }
        }

        impl $crate::jute::Field for $name {
            const MIN_LEN: usize = 4;
            fn field_len(&self) -> usize {
                4
            }
            fn put(&self, buf: &mut impl bytes::BufMut) {
                buf.put_i32(self.to_i32());
            }
            fn take(
                r: &mut $crate::jute::Reader,
                record: &'static str,
                field: &'static str,
            ) -> Result<Self, $crate::jute::DecodeError> {
                r.read_i32(record, field).map(Self::from_i32)
            }
            fn skip(r: &mut $crate::jute::Reader) -> Option<()> {
                <i32 as $crate::jute::Field>::skip(r)
            }
        }

        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                if u.ratio(1u8, 8u8)? {
                    Ok(Self::from_i32(<i32 as arbitrary::Arbitrary>::arbitrary(u)?))
                } else {
                    Ok(*u.choose(Self::KNOWN)?)
                }
            }
        }
    };
}

/// Declares a jute record: the struct plus `Encode`, `Decode` and `Field`, and a
/// derived `Debug`. Written `record! { secret; ... }`, it leaves `Debug` out: a record
/// that carries a password or credentials implements it by hand, redacting them.
macro_rules! record {
    (
        secret;
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        record! {
            @derive [];
            $(#[$meta])*
            pub struct $name {
                $( $(#[$fmeta])* pub $field: $ty, )*
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        record! {
            @derive [Debug];
            $(#[$meta])*
            pub struct $name {
                $( $(#[$fmeta])* pub $field: $ty, )*
            }
        }
    };
    (
        @derive [$($debug:ident)?];
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive($($debug,)? Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::jute::Encode for $name {
            fn encoded_len(&self) -> usize {
                0 $( + $crate::jute::Field::field_len(&self.$field) )*
            }
            #[allow(unused_variables)]
            fn encode(&self, buf: &mut impl bytes::BufMut) {
                $( $crate::jute::Field::put(&self.$field, buf); )*
            }
        }

        impl $crate::jute::Decode for $name {
            #[allow(unused_variables)]
            fn decode(r: &mut $crate::jute::Reader) -> Result<Self, $crate::jute::DecodeError> {
                Ok($name {
                    $( $field: <$ty as $crate::jute::Field>::take(r, stringify!($name), stringify!($field))?, )*
                })
            }
        }

        impl $crate::jute::Field for $name {
            const MIN_LEN: usize = 0 $( + <$ty as $crate::jute::Field>::MIN_LEN )*;
            fn field_len(&self) -> usize {
                $crate::jute::Encode::encoded_len(self)
            }
            fn put(&self, buf: &mut impl bytes::BufMut) {
                $crate::jute::Encode::encode(self, buf)
            }
            fn take(
                r: &mut $crate::jute::Reader,
                record: &'static str,
                field: &'static str,
            ) -> Result<Self, $crate::jute::DecodeError> {
                <$name as $crate::jute::Decode>::decode(r).map_err(|e| e.within(record, field, None))
            }
            #[allow(unused_variables)]
            fn skip(r: &mut $crate::jute::Reader) -> Option<()> {
                $( <$ty as $crate::jute::Field>::skip(r)?; )*
                Some(())
            }
        }
    };
}

/// Implements `Display` as the upstream name, or `UNKNOWN(value)`.
macro_rules! display_by_name {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $name::Unknown(v) => write!(f, "UNKNOWN({v})"),
                    known => f.write_str(known.name()),
                }
            }
        }
    };
}

/// The op codes that have neither a request nor a response record of their own
/// (notification, check, deleteContainer, createSession, error, unknown), as a pattern.
/// Both `WireRequest::decode` and `WireResponse::decode` reject them.
macro_rules! ops_without_record {
    () => {
        $crate::OpCode::Notification
            | $crate::OpCode::Check
            | $crate::OpCode::DeleteContainer
            | $crate::OpCode::CreateSession
            | $crate::OpCode::Error
            | $crate::OpCode::Unknown(_)
    };
}

/// The request table: one row per client op, `Variant(Body) = OpCode` (no body for
/// ping, whoAmI and closeSession). Generates the enum, `op_code`, the body decoder
/// and `Encode`, so adding an op is one row (plus its records and `OpCode`).
macro_rules! wire_requests {
    (
        $(#[$meta:meta])*
        pub enum $Name:ident {
            $( $(#[$vmeta:meta])* $Op:ident $( ($Body:ty) )? = $code:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub enum $Name {
            $( $(#[$vmeta])* $Op $( ($Body) )?, )*
        }

        impl $Name {
            /// The op code for the [`RequestHeader`].
            pub const fn op_code(&self) -> OpCode {
                match self {
                    $( $Name::$Op { .. } => OpCode::$code, )*
                }
            }

            fn decode_body(op: OpCode, r: &mut Reader) -> Result<$Name, DecodeError> {
                Ok(match op {
                    $( OpCode::$code => $Name::$Op $( (r.read::<$Body>()?) )?, )*
                    ops_without_record!() => return Err(unsupported_op("WireRequest", op)),
                })
            }
        }

        impl Encode for $Name {
            fn encoded_len(&self) -> usize {
                match self {
                    $( $Name::$Op { .. } => wire_requests!(@body self, $Name::$Op $(, $Body)?; b => b.encoded_len(), 0), )*
                }
            }

            fn encode(&self, buf: &mut impl BufMut) {
                match self {
                    $( $Name::$Op { .. } => wire_requests!(@body self, $Name::$Op $(, $Body)?; b => b.encode(buf), ()), )*
                }
            }
        }
    };
    // `$with` applied to the variant's body, or `$without` for a variant without one.
    (@body $self:ident, $Name:ident::$Op:ident, $Body:ty; $b:ident => $with:expr, $without:expr) => {
        match $self {
            $Name::$Op($b) => $with,
            _ => unreachable!("matched as {} above", stringify!($Op)),
        }
    };
    (@body $self:ident, $Name:ident::$Op:ident; $b:ident => $with:expr, $without:expr) => {
        $without
    };
}
