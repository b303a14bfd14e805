//! A FIFO kept in small fixed-size blocks, for the session's request queues.
//!
//! A `VecDeque` doubles when full and keeps the old buffer's pages around while it
//! copies, so 10,000 requests in flight could reserve room for 16,384 of them and more.
//! Blocks grow the FIFO a block at a time: its memory follows what it holds within a
//! block's worth, and nothing is ever copied to grow it. One emptied block is kept for
//! the next: a steady pipeline then allocates nothing (blocks are too large for the
//! allocator's fast per-thread cache, and one allocation per block cost 7 % of a
//! pipelined get's client CPU).

use std::collections::VecDeque;
use std::fmt;

/// The bytes of one block: small enough that an idle session's FIFOs cost little,
/// large enough that the allocator is asked once per few dozen requests.
const BLOCK_BYTES: usize = 2048;

/// A queue of `T` in blocks of equal capacity; no block is empty but a sole one (kept,
/// so that a queue that keeps emptying, as a driver that writes each request at once
/// leaves it, moves no block).
pub(super) struct Fifo<T> {
    blocks: VecDeque<VecDeque<T>>,
    len: usize,
    /// An emptied block, for the next one needed.
    spare: Option<VecDeque<T>>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            blocks: VecDeque::new(),
            len: 0,
            spare: None,
        }
    }
}

impl<T> Fifo<T> {
    /// Entries per block.
    const BLOCK: usize = {
        let size = std::mem::size_of::<T>();
        if size == 0 || size >= BLOCK_BYTES {
            1
        } else {
            BLOCK_BYTES / size
        }
    };

    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(super) fn front(&self) -> Option<&T> {
        // Most looks find the queue empty (every request written at once): no
        // block to look into then.
        if self.len == 0 {
            return None;
        }
        self.blocks.front().and_then(VecDeque::front)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.blocks.iter_mut().flatten()
    }

    pub(super) fn push_back(&mut self, item: T) {
        match self.blocks.back_mut() {
            Some(block) if block.len() < Self::BLOCK => block.push_back(item),
            _ => {
                let block = self.block_of(item);
                self.blocks.push_back(block);
            }
        }
        self.len += 1;
    }

    pub(super) fn push_front(&mut self, item: T) {
        match self.blocks.front_mut() {
            Some(block) if block.len() < Self::BLOCK => block.push_front(item),
            _ => {
                let block = self.block_of(item);
                self.blocks.push_front(block);
            }
        }
        self.len += 1;
    }

    #[inline]
    pub(super) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let block = self.blocks.front_mut()?;
        let item = block.pop_front()?;
        if block.is_empty() && self.blocks.len() > 1 {
            let emptied = self.blocks.pop_front();
            if self.spare.is_none() {
                self.spare = emptied;
            }
        }
        self.len -= 1;
        Some(item)
    }

    /// Takes out the first entry `matches` accepts.
    pub(super) fn remove_first(&mut self, mut matches: impl FnMut(&T) -> bool) -> Option<T> {
        let (b, i) = self
            .blocks
            .iter()
            .enumerate()
            .find_map(|(b, block)| block.iter().position(&mut matches).map(|i| (b, i)))?;
        let item = self.blocks[b].remove(i);
        if self.blocks[b].is_empty() {
            self.blocks.remove(b);
        }
        self.len -= 1;
        item
    }

    /// Keeps the entries `keep` accepts, in order (`keep` sees each once, in order).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for block in &mut self.blocks {
            block.retain(&mut keep);
        }
        self.blocks.retain(|block| !block.is_empty());
        self.len = self.blocks.iter().map(VecDeque::len).sum();
    }

    /// How many entries lead the FIFO for which `before` holds, given that it holds
    /// for a prefix only (a binary search).
    pub(super) fn partition_point(&self, mut before: impl FnMut(&T) -> bool) -> usize {
        // Often the whole FIFO (every request in flight written): one look.
        if self
            .blocks
            .back()
            .and_then(VecDeque::back)
            .is_none_or(&mut before)
        {
            return self.len;
        }
        let whole = self
            .blocks
            .partition_point(|block| block.back().is_some_and(&mut before));
        let prefix: usize = self.blocks.range(..whole).map(VecDeque::len).sum();
        prefix
            + self
                .blocks
                .get(whole)
                .map_or(0, |block| block.partition_point(before))
    }

    /// Takes out every entry, in order.
    pub(super) fn take_all(&mut self) -> impl Iterator<Item = T> + use<T> {
        self.len = 0;
        std::mem::take(&mut self.blocks).into_iter().flatten()
    }

    /// A block holding `item`: the spare one, else a new one.
    fn block_of(&mut self, item: T) -> VecDeque<T> {
        let mut block = self
            .spare
            .take()
            .unwrap_or_else(|| VecDeque::with_capacity(Self::BLOCK));
        block.push_back(item);
        block
    }
}

impl<T: fmt::Debug> fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifo(items: impl IntoIterator<Item = u64>) -> Fifo<u64> {
        let mut fifo = Fifo::default();
        for item in items {
            fifo.push_back(item);
        }
        fifo
    }

    fn contents(fifo: &Fifo<u64>) -> Vec<u64> {
        fifo.iter().copied().collect()
    }

    const MANY: u64 = 1_000;

    #[test]
    fn entries_leave_in_the_order_they_came_across_many_blocks() {
        let mut fifo = fifo(0..MANY);
        assert_eq!(fifo.len(), MANY as usize);
        assert_eq!(fifo.front(), Some(&0));
        let out: Vec<u64> = std::iter::from_fn(|| fifo.pop_front()).collect();
        assert_eq!(out, (0..MANY).collect::<Vec<_>>());
        assert_eq!(fifo.len(), 0);
        assert_eq!(fifo.front(), None);
    }

    #[test]
    fn entries_put_back_at_the_front_come_out_first() {
        let mut fifo = fifo(10..MANY);
        for item in (0..10).rev() {
            fifo.push_front(item);
        }
        assert_eq!(contents(&fifo), (0..MANY).collect::<Vec<_>>());
        fifo.pop_front();
        fifo.push_front(0);
        assert_eq!(fifo.pop_front(), Some(0));
        assert_eq!(fifo.len(), MANY as usize - 1);
    }

    #[test]
    fn memory_follows_the_entries_within_a_block() {
        let mut fifo = fifo(0..MANY);
        let reserved = |f: &Fifo<u64>| f.blocks.iter().map(VecDeque::capacity).sum::<usize>();
        assert!(reserved(&fifo) < MANY as usize + Fifo::<u64>::BLOCK);
        for _ in 0..MANY - 1 {
            fifo.pop_front();
        }
        assert_eq!(
            reserved(&fifo),
            Fifo::<u64>::BLOCK,
            "emptied blocks are freed"
        );
        assert!(fifo.spare.is_some(), "but for one spare");
    }

    #[test]
    fn a_queue_that_keeps_emptying_keeps_its_one_block() {
        let mut fifo = Fifo::default();
        for item in 0..MANY {
            fifo.push_back(item);
            assert_eq!(fifo.pop_front(), Some(item));
            assert_eq!(fifo.pop_front(), None);
        }
        assert_eq!(fifo.blocks.len(), 1);
        assert!(fifo.spare.is_none());
        assert_eq!(fifo.len(), 0);
        assert_eq!(fifo.partition_point(|_| true), 0);
        fifo.push_front(7);
        assert_eq!(contents(&fifo), vec![7]);
    }

    #[test]
    fn an_emptied_block_is_reused_for_the_next() {
        let block = Fifo::<u64>::BLOCK as u64;
        let mut fifo = fifo(0..2 * block);
        for _ in 0..block {
            fifo.pop_front();
        }
        assert!(fifo.spare.is_some(), "the emptied block is kept");
        fifo.push_back(2 * block);
        assert!(fifo.spare.is_none(), "and taken for the next block");
        assert!(fifo.iter().copied().eq(block..=2 * block));
    }

    #[test]
    fn removing_one_entry_keeps_the_rest_in_order() {
        let mut fifo = fifo(0..MANY);
        assert_eq!(fifo.remove_first(|&x| x == 700), Some(700));
        assert_eq!(fifo.remove_first(|&x| x == 700), None);
        assert_eq!(fifo.len(), MANY as usize - 1);
        assert!(
            contents(&fifo)
                .iter()
                .copied()
                .eq((0..MANY).filter(|&x| x != 700))
        );
    }

    #[test]
    fn retaining_drops_emptied_blocks_and_keeps_the_order() {
        let mut fifo = fifo(0..MANY);
        let mut seen = Vec::new();
        fifo.retain(|&x| {
            seen.push(x);
            x % 300 == 0
        });
        assert_eq!(seen, (0..MANY).collect::<Vec<_>>(), "each once, in order");
        assert_eq!(contents(&fifo), vec![0, 300, 600, 900]);
        assert_eq!(fifo.len(), 4);
        assert_eq!(fifo.blocks.len(), 4, "no empty block is kept");
        fifo.push_back(1_000);
        assert_eq!(fifo.pop_front(), Some(0));
        assert_eq!(contents(&fifo), vec![300, 600, 900, 1_000]);
    }

    #[test]
    fn the_partition_point_counts_the_prefix_at_every_split() {
        let fifo = fifo(0..MANY);
        for split in [0, 1, 2, 255, 256, 257, 511, 512, 999, 1_000, 5_000] {
            assert_eq!(
                fifo.partition_point(|&x| x < split),
                split.min(MANY) as usize
            );
        }
        let mut gappy = fifo;
        gappy.retain(|&x| x % 3 == 0);
        for split in [0, 1, 3, 4, 500, 998, 999, 1_000] {
            let expected = (0..MANY).filter(|x| x % 3 == 0 && *x < split).count();
            assert_eq!(gappy.partition_point(|&x| x < split), expected, "{split}");
        }
    }

    #[test]
    fn taking_all_empties_it_in_order() {
        let mut fifo = fifo(0..MANY);
        assert!(fifo.take_all().eq(0..MANY));
        assert_eq!(fifo.len(), 0);
        assert_eq!(fifo.pop_front(), None);
        fifo.push_back(7);
        assert_eq!(contents(&fifo), vec![7]);
    }
}
