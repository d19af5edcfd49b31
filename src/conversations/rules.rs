//! Who may write to whom, as plain functions of what is known about each other member.

use crate::error::ApiError;
use crate::notifications::MessagesSetting;

/// What decides whether one member takes messages from the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    /// Who may start a conversation with them.
    pub setting: MessagesSetting,
    /// They blocked the sender.
    pub blocked_sender: bool,
    /// They mentor or are mentored by the sender, or have conversed with them.
    pub connected: bool,
}

/// Whether the sender may start a conversation with this member. Staff reach members whatever
/// their setting (a moderator must be able to write), but not one who blocked them.
pub fn may_start_with(sender_is_staff: bool, recipient: Recipient) -> bool {
    if recipient.blocked_sender {
        return false;
    }
    if sender_is_staff {
        return true;
    }
    match recipient.setting {
        MessagesSetting::Everyone => true,
        MessagesSetting::Connections => recipient.connected,
        MessagesSetting::Nobody => false,
    }
}

/// Whether the sender may write in a conversation with these other (present) members: they
/// have conversed, so each is a connection; the message goes when at least one of them takes
/// it (those who blocked the sender are not told of it).
pub fn may_write_in(sender_is_staff: bool, others: &[Recipient]) -> bool {
    others.iter().any(|other| {
        may_start_with(
            sender_is_staff,
            Recipient {
                connected: true,
                ..*other
            },
        )
    })
}

/// The one refusal, whichever rule applied: saying which would tell the sender that they
/// were blocked.
pub fn cannot_message() -> ApiError {
    ApiError::forbidden(
        "cannot_message",
        "You cannot send messages to this member (or one of these members).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(setting: MessagesSetting, blocked_sender: bool, connected: bool) -> Recipient {
        Recipient {
            setting,
            blocked_sender,
            connected,
        }
    }

    #[test]
    fn a_setting_and_a_block_decide_who_may_start() {
        use MessagesSetting::*;
        assert!(may_start_with(false, member(Everyone, false, false)));
        assert!(!may_start_with(false, member(Everyone, true, true)));
        assert!(!may_start_with(false, member(Connections, false, false)));
        assert!(may_start_with(false, member(Connections, false, true)));
        assert!(!may_start_with(false, member(Nobody, false, true)));
        // Staff pass any setting but not a block.
        assert!(may_start_with(true, member(Nobody, false, false)));
        assert!(!may_start_with(true, member(Everyone, true, false)));
    }

    #[test]
    fn a_conversation_going_on_takes_a_message_while_someone_takes_it() {
        use MessagesSetting::*;
        assert!(may_write_in(false, &[member(Connections, false, false)]));
        assert!(!may_write_in(false, &[member(Nobody, false, false)]));
        assert!(!may_write_in(false, &[member(Everyone, true, false)]));
        assert!(may_write_in(
            false,
            &[
                member(Everyone, true, false),
                member(Everyone, false, false)
            ]
        ));
        // Alone in it: nobody to write to.
        assert!(!may_write_in(false, &[]));
    }
}
