//! DKG committee selection (§1.8) and the two block numbers of a registration (§11.2).
//!
//! A registration included in block **N** is served by the off-chain worker of block **N+1**.
//! The DKG session id, replay and freshness checks use N; the committee rotation index uses N+1.
//! The two newtypes below make that explicit so chain, servers and client cannot mix them up.

use alloc::vec::Vec;

/// The block that included the `register` call (N): names the DKG session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InclusionBlock(pub u32);

/// The block whose number drives the committee rotation (N+1, the off-chain worker's block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitteeBlock(pub u32);

impl InclusionBlock {
    /// The committee for a registration included in N is chosen with N+1.
    pub fn committee_block(self) -> CommitteeBlock {
        CommitteeBlock(self.0.saturating_add(1))
    }
}

impl CommitteeBlock {
    /// The inclusion block whose `Dkg[N]` this off-chain worker block serves (N = B-1).
    pub fn inclusion_block(self) -> Option<InclusionBlock> {
        self.0.checked_sub(1).map(InclusionBlock)
    }
}

/// Why no committee could be chosen (names as the registry's errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    /// `SigningGroups[subgroup]` is absent.
    #[error("signing group {subgroup} does not exist on chain")]
    SigningGroupError {
        /// The missing subgroup.
        subgroup: u8,
    },
    /// The chain declares no subgroup.
    #[error("the chain declares no signing subgroup")]
    NoSubgroups,
    /// Every member of the subgroup is unsynced (or the group is empty).
    #[error("signing group {subgroup} has no synced server")]
    NoSyncedValidators {
        /// The subgroup without a usable member.
        subgroup: u8,
    },
}

/// One selected server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeMember<V> {
    /// Its subgroup (0-based); also its DKG party index.
    pub subgroup: u8,
    /// The stash id as stored in `SigningGroups[subgroup]`.
    pub stash: V,
    /// Its position in the stored `SigningGroups[subgroup]` list.
    pub original_index: usize,
}

/// Chooses one server per subgroup for the committee block `block` (docs/protocol.md,
/// "Committee"): `i = block mod len`; an unsynced entry is removed (order kept) and the choice
/// retried.
///
/// `subgroups` is the chain's `SubgroupCount`; `signing_group(g)` returns `SigningGroups[g]` in
/// storage order (`None` if absent); `is_synced` answers `IsValidatorSynced`.
pub fn select_committee<V: Clone>(
    block: CommitteeBlock,
    subgroups: u8,
    mut signing_group: impl FnMut(u8) -> Option<Vec<V>>,
    mut is_synced: impl FnMut(&V) -> bool,
) -> Result<Vec<CommitteeMember<V>>, CommitteeError> {
    if subgroups == 0 {
        return Err(CommitteeError::NoSubgroups);
    }
    let mut committee = Vec::with_capacity(subgroups as usize);
    for g in 0..subgroups {
        let members = signing_group(g).ok_or(CommitteeError::SigningGroupError { subgroup: g })?;
        let mut candidates: Vec<(usize, V)> = members.into_iter().enumerate().collect();
        loop {
            if candidates.is_empty() {
                return Err(CommitteeError::NoSyncedValidators { subgroup: g });
            }
            let i = (block.0 as usize) % candidates.len();
            if is_synced(&candidates[i].1) {
                let (original_index, stash) = candidates.swap_remove(i);
                committee.push(CommitteeMember {
                    subgroup: g,
                    stash,
                    original_index,
                });
                break;
            }
            candidates.remove(i);
        }
    }
    Ok(committee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn groups() -> Vec<Vec<char>> {
        vec![vec!['A', 'B', 'C'], vec!['D', 'E']]
    }

    #[test]
    fn rotation_of_the_source_example() {
        let pick = |b: u32| {
            let g = groups();
            select_committee(
                CommitteeBlock(b),
                2,
                |i| g.get(i as usize).cloned(),
                |_| true,
            )
            .unwrap()
            .into_iter()
            .map(|m| m.stash)
            .collect::<Vec<_>>()
        };
        assert_eq!(pick(0), vec!['A', 'D']);
        assert_eq!(pick(1), vec!['B', 'E']);
        assert_eq!(pick(2), vec!['C', 'D']);
        assert_eq!(pick(3), vec!['A', 'E']);
    }

    #[test]
    fn unsynced_member_is_skipped_in_order() {
        let g = groups();
        let c = select_committee(
            CommitteeBlock(1),
            2,
            |i| g.get(i as usize).cloned(),
            |v| *v != 'B',
        )
        .unwrap();
        // [A, C] remains; 1 mod 2 = 1 -> C, which had index 2 originally.
        assert_eq!(c[0].stash, 'C');
        assert_eq!(c[0].original_index, 2);
    }

    #[test]
    fn inclusion_and_committee_blocks_are_one_apart() {
        assert_eq!(InclusionBlock(7).committee_block(), CommitteeBlock(8));
        assert_eq!(CommitteeBlock(8).inclusion_block(), Some(InclusionBlock(7)));
        assert_eq!(CommitteeBlock(0).inclusion_block(), None);
    }

    #[test]
    fn missing_or_empty_groups() {
        let one = [vec!['A']];
        assert_eq!(
            select_committee(
                CommitteeBlock(3),
                2,
                |i| one.get(i as usize).cloned(),
                |_| true
            ),
            Err(CommitteeError::SigningGroupError { subgroup: 1 })
        );
        let empty = [vec![], vec!['A']];
        assert_eq!(
            select_committee(
                CommitteeBlock(3),
                2,
                |i| empty.get(i as usize).cloned(),
                |_: &char| true
            ),
            Err(CommitteeError::NoSyncedValidators { subgroup: 0 })
        );
        assert_eq!(
            select_committee(CommitteeBlock(3), 0, |_| Some(vec!['A']), |_| true),
            Err(CommitteeError::NoSubgroups)
        );
        // Four subgroups of two: one member of each.
        let four = [
            vec!['A', 'B'],
            vec!['C', 'D'],
            vec!['E', 'F'],
            vec!['G', 'H'],
        ];
        let c = select_committee(
            CommitteeBlock(5),
            4,
            |i| four.get(i as usize).cloned(),
            |_| true,
        )
        .unwrap();
        assert_eq!(
            c.iter().map(|m| m.stash).collect::<Vec<_>>(),
            vec!['B', 'D', 'F', 'H']
        );
    }
}
