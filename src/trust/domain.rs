//! The trust levels.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// A member's trust level, computed from their activity (or pinned by an admin).
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum TrustLevel ("trust level") {
        /// Just verified: fewer posts a day, few links, no images, small meetups.
        New => "new",
        Basic => "basic",
        Member => "member",
        Regular => "regular",
    }
}

impl TrustLevel {
    /// Higher levels compare greater.
    pub fn rank(self) -> u8 {
        match self {
            TrustLevel::New => 0,
            TrustLevel::Basic => 1,
            TrustLevel::Member => 2,
            TrustLevel::Regular => 3,
        }
    }

    pub fn at_least(self, other: TrustLevel) -> bool {
        self.rank() >= other.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_round_trip() {
        let ranks: Vec<u8> = TrustLevel::ALL.iter().map(|l| l.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3]);
        assert!(TrustLevel::Regular.at_least(TrustLevel::Basic));
        assert!(!TrustLevel::New.at_least(TrustLevel::Basic));
        for level in TrustLevel::ALL {
            assert_eq!(level.as_str().parse::<TrustLevel>(), Ok(*level));
        }
    }
}
