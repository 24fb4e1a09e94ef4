//! One visit arriving from two exports of the same source: Synthea's CSV and FHIR exports give an
//! encounter different ids, so the patient and the instant of admission name it.

use crate::domain::chart::EncounterKind;

/// An encounter of the patient admitted at the same instant as the one arriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitCandidate {
    pub encounter_id: i64,
    pub kind: EncounterKind,
    /// The export the encounter is arriving from already brought this one (under another id).
    pub known_in_export: bool,
}

/// Which candidate is the arriving encounter of `kind`, if any: never one its own export already
/// brought (an emergency visit and the admission from it can share a minute, and are two visits);
/// the same kind first (the exports classify urgent care differently), then the earliest made.
pub fn same_visit(candidates: &[VisitCandidate], kind: EncounterKind) -> Option<i64> {
    candidates
        .iter()
        .filter(|c| !c.known_in_export)
        .min_by_key(|c| (c.kind != kind, c.encounter_id))
        .map(|c| c.encounter_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EncounterKind::{Emergency, Inpatient, Outpatient};

    fn candidate(encounter_id: i64, kind: EncounterKind, known_in_export: bool) -> VisitCandidate {
        VisitCandidate { encounter_id, kind, known_in_export }
    }

    #[test]
    fn the_same_kind_is_preferred_then_the_earliest() {
        let both = [candidate(7, Emergency, false), candidate(8, Inpatient, false)];
        assert_eq!(same_visit(&both, Inpatient), Some(8));
        assert_eq!(same_visit(&both, Emergency), Some(7));
        assert_eq!(same_visit(&both, Outpatient), Some(7), "another kind, the earliest");
        assert_eq!(
            same_visit(&[candidate(9, Outpatient, false), candidate(3, Outpatient, false)], Outpatient),
            Some(3)
        );
    }

    #[test]
    fn a_visit_is_never_joined_with_one_its_own_export_brought() {
        let twins = [candidate(7, Emergency, true), candidate(8, Inpatient, false)];
        assert_eq!(same_visit(&twins, Emergency), Some(8), "the other export's admission, not our own ED visit");
        assert_eq!(same_visit(&[candidate(7, Emergency, true)], Emergency), None);
        assert_eq!(same_visit(&[], Emergency), None);
    }
}
