//! The ids registered under one path of one table, in registration order. Nearly
//! every path has one watcher, so one id is kept inline and a list is allocated only
//! for the second: with 100,000 watches, that spares 100,000 allocations. The list is
//! boxed, so the inline case takes two words, not three.

use crate::id::RequestId;

/// One or more request ids, without duplicates, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ids {
    One(RequestId),
    /// Two or more (never fewer: a removal that leaves one goes back to `One`).
    #[allow(clippy::box_collection)] // the point: the rare list is one word here
    Many(Box<Vec<RequestId>>),
}

impl Ids {
    /// Adds `id` unless present.
    pub(crate) fn push(&mut self, id: RequestId) {
        match self {
            Ids::One(first) if *first != id => *self = Ids::Many(Box::new(vec![*first, id])),
            Ids::One(_) => {}
            Ids::Many(ids) if !ids.contains(&id) => ids.push(id),
            Ids::Many(_) => {}
        }
    }

    pub(crate) fn as_slice(&self) -> &[RequestId] {
        match self {
            Ids::One(id) => std::slice::from_ref(id),
            Ids::Many(ids) => ids,
        }
    }

    pub(crate) fn contains(&self, id: RequestId) -> bool {
        self.as_slice().contains(&id)
    }

    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Keeps the ids `keep` accepts; `None` when none is left (the path's entry goes).
    pub(crate) fn retain(self, keep: impl Fn(RequestId) -> bool) -> Option<Ids> {
        match self {
            Ids::One(id) => keep(id).then_some(Ids::One(id)),
            Ids::Many(mut ids) => {
                ids.retain(|&id| keep(id));
                match ids.as_slice() {
                    [] => None,
                    [one] => Some(Ids::One(*one)),
                    _ => Some(Ids::Many(ids)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[u64]) -> Ids {
        let mut ids = Ids::One(RequestId(list[0]));
        for &id in &list[1..] {
            ids.push(RequestId(id));
        }
        ids
    }

    #[test]
    fn one_id_stays_inline_and_a_repeat_adds_nothing() {
        assert_eq!(ids(&[7, 7]), Ids::One(RequestId(7)));
        assert_eq!(std::mem::size_of::<Ids>(), 2 * std::mem::size_of::<usize>());
    }

    #[test]
    fn a_second_id_makes_a_list_in_registration_order() {
        let list = ids(&[7, 3, 7, 9]);
        assert_eq!(list.as_slice(), [RequestId(7), RequestId(3), RequestId(9)]);
        assert_eq!(list.len(), 3);
        assert!(list.contains(RequestId(3)));
    }

    #[test]
    fn removals_shrink_back_to_one_then_to_nothing() {
        let list = ids(&[1, 2, 3]);
        let list = list.retain(|id| id != RequestId(2)).unwrap();
        assert_eq!(list.as_slice(), [RequestId(1), RequestId(3)]);
        let list = list.retain(|id| id == RequestId(3)).unwrap();
        assert_eq!(list, Ids::One(RequestId(3)));
        assert_eq!(list.retain(|_| false), None);
    }
}
