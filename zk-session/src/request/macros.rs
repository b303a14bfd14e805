//! `operations!`: one table entry per operation generates everything the session
//! needs to know about it.

/// Defines every operation from one table. Each entry gives, in order:
///
/// * the [`crate::Request`] variant (docs, name, fields: `{ .. }` named, `( .. ) as
///   (bindings)` positional, or nothing);
/// * `prepare(cx) { .. }`: validation and the wire request, as an
///   `Result<Outgoing, SubmitError>`, with the request's fields (or bindings) in
///   scope and `cx` the [`super::prepare::Context`];
/// * `=>` the [`crate::Response`] variant of the same name (docs, fields);
/// * `reply(chroot) { pattern => response, .. }`: the wire bodies this operation
///   accepts and the response each becomes (any other body is a broken server);
/// * optionally `local { .. }`: the response when the session answers it itself;
/// * optionally `on_no_node(watch) { .. }`: an answer to the server's NoNode, given
///   the watch kind the request asked for, as `(kind to register, response)`.
///
/// From that it generates `Request`, `Response`, the private `ReplyKind` (one
/// variant per operation, carried by each request until its reply) and the
/// functions `prepare`, `into_response`, `local_response` and `no_node_response`.
macro_rules! operations {
    ($(
        $(#[$req_meta:meta])*
        $Op:ident
        $( ( $($req_tuple:tt)* ) as ( $($bind:ident),* ) )?
        $( { $( $(#[$field_meta:meta])* $field:ident : $field_ty:ty ),* $(,)? } )?
        prepare($cx:ident) $prepare:block
        =>
        $(#[$resp_meta:meta])*
        $( ( $($resp_tuple:tt)* ) )?
        $( { $($resp_struct:tt)* } )?
        reply($chroot:ident) { $( $reply_pat:pat => $reply_expr:expr ),* $(,)? }
        $( local $local:block )?
        $( on_no_node($nn_watch:ident) $no_node:block )?
    ;)*) => {
        /// One client operation. Paths are client paths: the chroot is prepended by
        /// the session.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Request {$(
            $(#[$req_meta])*
            $Op
            $( ( $($req_tuple)* ) )?
            $( { $( $(#[$field_meta])* $field : $field_ty ),* } )?,
        )*}

        /// The successful result of a request: one variant per [`Request`] variant,
        /// of the same name.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Response {$(
            $(#[$resp_meta])*
            $Op
            $( ( $($resp_tuple)* ) )?
            $( { $($resp_struct)* } )?,
        )*}

        /// Which operation a reply answers: how to read it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum ReplyKind {$( $Op, )*}

        /// Validates `request` and builds its wire form with server paths.
        pub(crate) fn prepare(
            request: Request,
            cx: &Context<'_>,
        ) -> Result<(ReplyKind, Outgoing), SubmitError> {
            match request {$(
                Request::$Op
                $( ( $($bind),* ) )?
                $( { $($field),* } )? => {
                    let $cx = cx;
                    let outgoing: Outgoing = $prepare?;
                    Ok((ReplyKind::$Op, outgoing))
                }
            )*}
        }

        /// Turns a successful wire body into the [`Response`] of `kind`, stripping
        /// the chroot from paths. `None`: the body does not fit the request (a broken
        /// server).
        pub(crate) fn into_response(
            kind: ReplyKind,
            body: WireResponse,
            chroot: &Chroot,
        ) -> Option<Response> {
            match kind {$(
                ReplyKind::$Op => {
                    #[allow(unused_variables)]
                    let $chroot = chroot;
                    #[allow(unreachable_patterns)]
                    match body {
                        $( $reply_pat => Some($reply_expr), )*
                        _ => None,
                    }
                }
            )*}
        }

        /// The answer of a request the session answers itself.
        pub(crate) fn local_response(kind: ReplyKind) -> Response {
            match kind {
                $( $( ReplyKind::$Op => $local, )? )*
                other => unreachable!("{other:?} is never answered locally"),
            }
        }

        /// The answer to a NoNode error, for the operations that have one: the
        /// watch to register (given the one asked for) and the response.
        pub(crate) fn no_node_response(
            kind: ReplyKind,
            watch: Option<WatchKind>,
        ) -> Option<(Option<WatchKind>, Response)> {
            match kind {
                $( $( ReplyKind::$Op => { let $nn_watch = watch; Some($no_node) } )? )*
                _ => None,
            }
        }
    };
}
