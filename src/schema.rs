// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    account_export_chunks (export_id, seq) {
        export_id -> Int8,
        seq -> Int4,
        data -> Bytea,
    }
}

diesel::table! {
    account_exports (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Text,
        size_bytes -> Int8,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        downloaded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        scopes -> Array<Text>,
        secret_hash -> Bytea,
        generation -> Int4,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    appeals (id) {
        id -> Int8,
        log_id -> Int8,
        appellant_id -> Int8,
        text -> Text,
        automatic -> Bool,
        status -> Text,
        decided_by -> Nullable<Int8>,
        note -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Int8,
        token_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    conversation_participants (conversation_id, user_id) {
        conversation_id -> Int8,
        user_id -> Int8,
        last_read_message_id -> Int8,
        last_message_at -> Timestamptz,
        joined_at -> Timestamptz,
        left_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    conversations (id) {
        id -> Int8,
        author_id -> Int8,
        subject -> Text,
        mentorship_pair -> Nullable<Text>,
        last_message_id -> Int8,
        last_message_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    drafts (user_id, key) {
        user_id -> Int8,
        key -> Text,
        title -> Nullable<Text>,
        body -> Text,
        tags -> Array<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    identities (id) {
        id -> Int8,
        user_id -> Int8,
        provider -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        linked_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        run_at -> Timestamptz,
        locked_at -> Nullable<Timestamptz>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    mail_bounces (id) {
        id -> Int8,
        user_id -> Int8,
        address -> Text,
        status -> Text,
        hard -> Bool,
        report_id -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    meetup_rsvps (id) {
        id -> Int8,
        meetup_id -> Int8,
        user_id -> Int8,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        reminded_for -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    meetup_series (id) {
        id -> Int8,
        organizer_id -> Int8,
        rule -> Jsonb,
        duration_secs -> Int8,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    meetups (id) {
        id -> Int8,
        organizer_id -> Int8,
        title -> Text,
        description -> Text,
        description_html -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        timezone -> Text,
        venue_name -> Nullable<Text>,
        venue_address -> Nullable<Text>,
        venue_city -> Nullable<Text>,
        venue_country -> Nullable<Text>,
        online_url -> Nullable<Text>,
        capacity -> Nullable<Int4>,
        tags -> Array<Text>,
        going_count -> Int4,
        waitlist_count -> Int4,
        status -> Text,
        sequence -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
        hidden -> Bool,
        series_id -> Nullable<Int8>,
        occurrence -> Nullable<Int4>,
    }
}

diesel::table! {
    member_content_action_items (log_id, content_type, content_id) {
        log_id -> Int8,
        content_type -> Text,
        content_id -> Int8,
    }
}

diesel::table! {
    member_content_actions (log_id) {
        log_id -> Int8,
        member_id -> Int8,
        since -> Timestamptz,
        undone_by -> Nullable<Int8>,
    }
}

diesel::table! {
    member_days (user_id, day) {
        user_id -> Int8,
        day -> Date,
    }
}

diesel::table! {
    mentor_profiles (user_id) {
        user_id -> Int8,
        headline -> Text,
        bio -> Text,
        bio_html -> Text,
        skills -> Array<Text>,
        languages -> Array<Text>,
        timezone -> Text,
        capacity -> Int4,
        accepting_requests -> Bool,
        active_mentees -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        away_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    mentorship_requests (id) {
        id -> Int8,
        mentee_id -> Int8,
        mentor_id -> Int8,
        message -> Text,
        goals -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        answered_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        reminded_at -> Nullable<Timestamptz>,
        check_in_sent_at -> Nullable<Timestamptz>,
        mentor_done_at -> Nullable<Timestamptz>,
        mentee_done_at -> Nullable<Timestamptz>,
        conversation_id -> Nullable<Int8>,
    }
}

diesel::table! {
    message_preferences (user_id) {
        user_id -> Int8,
        messages -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    messages (id) {
        id -> Int8,
        conversation_id -> Int8,
        author_id -> Int8,
        body -> Text,
        body_html -> Text,
        hidden -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Text,
        user_id -> Int8,
        method -> Text,
        tries -> Int4,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> Int8,
        actor_id -> Nullable<Int8>,
        action -> Text,
        target_type -> Text,
        target_id -> Int8,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        actor_ref -> Nullable<Text>,
        target_ref -> Nullable<Text>,
    }
}

diesel::table! {
    notification_counters (user_id) {
        user_id -> Int8,
        unread -> Int4,
    }
}

diesel::table! {
    notification_deliveries (event, user_id) {
        event -> Text,
        user_id -> Int8,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        actor_id -> Nullable<Int8>,
        thread_id -> Nullable<Int8>,
        reply_id -> Nullable<Int8>,
        meetup_id -> Nullable<Int8>,
        mentorship_request_id -> Nullable<Int8>,
        count -> Int4,
        hidden -> Bool,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
        mail -> Nullable<Jsonb>,
        mailed_at -> Nullable<Timestamptz>,
        conversation_id -> Nullable<Int8>,
        message_id -> Nullable<Int8>,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        user_id -> Int8,
        provider -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_states (state_hash) {
        state_hash -> Text,
        provider -> Text,
        intent -> Text,
        user_id -> Nullable<Int8>,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Nullable<Text>,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    onebox_cache (url) {
        url -> Text,
        card -> Nullable<Jsonb>,
        failure -> Nullable<Text>,
        fetched_at -> Timestamptz,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        credential_id -> Bytea,
        credential -> Jsonb,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rate_limit_buckets (key) {
        key -> Text,
        tat -> Timestamptz,
    }
}

diesel::table! {
    reading_marks (user_id) {
        user_id -> Int8,
        previous_visit_at -> Nullable<Timestamptz>,
        all_read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    recent_writes (user_id) {
        user_id -> Int8,
        lsn -> Int8,
        written_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Int8,
        user_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        family_id -> Uuid,
        token_hash -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    replies (id) {
        id -> Int8,
        thread_id -> Int8,
        author_id -> Int8,
        body -> Text,
        body_html -> Text,
        score -> Int4,
        hidden -> Bool,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reply_votes (reply_id, user_id) {
        reply_id -> Int8,
        user_id -> Int8,
        value -> Int2,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    report_claims (target_type, target_id) {
        target_type -> Text,
        target_id -> Int8,
        moderator_id -> Int8,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    reports (id) {
        id -> Int8,
        reporter_id -> Int8,
        target_type -> Text,
        target_id -> Int8,
        reason -> Text,
        details -> Nullable<Text>,
        status -> Text,
        action -> Nullable<Text>,
        note -> Nullable<Text>,
        handled_by -> Nullable<Int8>,
        handled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        reporter_trust_level -> Text,
    }
}

diesel::table! {
    rerender_progress (kind) {
        kind -> Text,
        render_version -> Int4,
        last_id -> Int8,
        rewritten -> Int8,
        finished_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reserved_usernames (username_hash) {
        username_hash -> Text,
        reserved_until -> Timestamptz,
    }
}

diesel::table! {
    scheduled_runs (task, period_start) {
        task -> Text,
        period_start -> Timestamptz,
        enqueued_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    search_documents (kind, source_id) {
        kind -> Text,
        source_id -> Int8,
        parent_id -> Nullable<Int8>,
        title -> Text,
        body -> Text,
        tags -> Array<Text>,
        username -> Nullable<Text>,
        fields -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        votes -> Int4,
        document -> Tsvector,
        title_document -> Tsvector,
        solved -> Nullable<Bool>,
    }
}

diesel::table! {
    search_lexemes (lexeme) {
        lexeme -> Text,
    }
}

diesel::table! {
    search_rebuilds (index_uid) {
        index_uid -> Text,
        started_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Int8,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        user_agent -> Nullable<Text>,
        revoked_at -> Nullable<Timestamptz>,
        method -> Text,
    }
}

diesel::table! {
    stats_backfills (since) {
        since -> Date,
        done_through -> Nullable<Date>,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    stats_days (day) {
        day -> Date,
        computed_at -> Timestamptz,
        signups -> Int4,
        active_members -> Int4,
        threads -> Int4,
        answered -> Int4,
        solved -> Int4,
        first_reply_seconds -> Array<Nullable<Int4>>,
        replies -> Int4,
        mentorship_requests -> Int4,
        mentorship_outcomes -> Int4,
        mentorship_accepted -> Int4,
        mentorship_response_seconds -> Array<Nullable<Int4>>,
        meetup_rsvps -> Int4,
        meetup_going -> Int4,
        meetup_capacity -> Int4,
        reports -> Int4,
        report_resolution_seconds -> Array<Nullable<Int4>>,
        appeals_decided -> Int4,
        appeals_overturned -> Int4,
    }
}

diesel::table! {
    stats_periods (period, starts_on) {
        period -> Text,
        starts_on -> Date,
        active_members -> Int4,
        computed_at -> Timestamptz,
    }
}

diesel::table! {
    tag_subscriptions (user_id, tag) {
        user_id -> Int8,
        tag -> Text,
        level -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tags (name) {
        name -> Text,
        thread_count -> Int4,
    }
}

diesel::table! {
    thread_activity (thread_id) {
        thread_id -> Int8,
        reply_count -> Int4,
        last_activity_at -> Timestamptz,
        author_id -> Int8,
        pinned -> Bool,
        locked -> Bool,
        hidden -> Bool,
        deleted -> Bool,
        answers -> Int4,
        created_at -> Timestamptz,
        unanswered -> Bool,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    thread_reads (user_id, thread_id) {
        user_id -> Int8,
        thread_id -> Int8,
        last_read_reply_id -> Nullable<Int8>,
        read_replies -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    thread_solutions (thread_id) {
        thread_id -> Int8,
        reply_id -> Int8,
        chosen_by -> Nullable<Int8>,
        chosen_at -> Timestamptz,
    }
}

diesel::table! {
    thread_subscriptions (user_id, thread_id) {
        user_id -> Int8,
        thread_id -> Int8,
        level -> Text,
        reason -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    thread_votes (thread_id, user_id) {
        thread_id -> Int8,
        user_id -> Int8,
        value -> Int2,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    threads (id) {
        id -> Int8,
        author_id -> Int8,
        title -> Text,
        body -> Text,
        body_html -> Text,
        excerpt -> Text,
        tags -> Array<Text>,
        score -> Int4,
        pinned -> Bool,
        locked -> Bool,
        hidden -> Bool,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        solved -> Bool,
    }
}

diesel::table! {
    totp_secrets (user_id) {
        user_id -> Int8,
        secret -> Bytea,
        created_at -> Timestamptz,
        confirmed_at -> Nullable<Timestamptz>,
        last_step -> Nullable<Int8>,
    }
}

diesel::table! {
    unsubscribe_tokens_used (token_id) {
        token_id -> Uuid,
        user_id -> Int8,
        used_at -> Timestamptz,
    }
}

diesel::table! {
    upload_objects (sha256) {
        sha256 -> Text,
        size -> Int8,
        last_put_at -> Timestamptz,
    }
}

diesel::table! {
    upload_uses (id) {
        id -> Int8,
        upload_id -> Int8,
        thread_id -> Nullable<Int8>,
        reply_id -> Nullable<Int8>,
    }
}

diesel::table! {
    uploads (id) {
        id -> Int8,
        user_id -> Nullable<Int8>,
        purpose -> Text,
        sha256 -> Text,
        extension -> Text,
        content_type -> Text,
        size -> Int8,
        width -> Nullable<Int4>,
        height -> Nullable<Int4>,
        thumbnail_extension -> Nullable<Text>,
        original_name -> Text,
        avatar_of -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_blocks (blocker_id, blocked_id) {
        blocker_id -> Int8,
        blocked_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        email_verified -> Bool,
        display_name -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        bio -> Text,
        location -> Nullable<Text>,
        timezone -> Nullable<Text>,
        skills -> Array<Text>,
        suspended_at -> Nullable<Timestamptz>,
        suspended_until -> Nullable<Timestamptz>,
        suspension_reason -> Nullable<Text>,
        session_generation -> Int4,
        failed_login_count -> Int4,
        last_failed_login_at -> Nullable<Timestamptz>,
        email_notifications -> Text,
        digest -> Text,
        last_seen_at -> Nullable<Timestamptz>,
        last_digest_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        trust_level -> Text,
        trust_level_pinned -> Bool,
        last_moderated_at -> Nullable<Timestamptz>,
        email_undeliverable_at -> Nullable<Timestamptz>,
        username_pending -> Bool,
        two_factor -> Bool,
        webauthn_id -> Uuid,
        avatar_url -> Nullable<Text>,
    }
}

diesel::table! {
    webauthn_ceremonies (id) {
        id -> Uuid,
        user_id -> Nullable<Int8>,
        kind -> Text,
        state -> Jsonb,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        webhook_id -> Int8,
        event_id -> Int8,
        message_id -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        locked_until -> Nullable<Timestamptz>,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Int8,
        #[sql_name = "type"]
        type_ -> Text,
        source -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Int8,
        url -> Text,
        description -> Text,
        events -> Array<Text>,
        format -> Text,
        active -> Bool,
        staff -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamptz>,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        failing_since -> Nullable<Timestamptz>,
        last_success_at -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        disabled_reason -> Nullable<Text>,
        sender -> Nullable<Uuid>,
        sending_until -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(account_export_chunks -> account_exports (export_id));
diesel::joinable!(account_exports -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(appeals -> moderation_log (log_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::joinable!(conversation_participants -> conversations (conversation_id));
diesel::joinable!(conversation_participants -> users (user_id));
diesel::joinable!(conversations -> users (author_id));
diesel::joinable!(drafts -> users (user_id));
diesel::joinable!(identities -> users (user_id));
diesel::joinable!(mail_bounces -> users (user_id));
diesel::joinable!(meetup_rsvps -> meetups (meetup_id));
diesel::joinable!(meetup_rsvps -> users (user_id));
diesel::joinable!(meetup_series -> users (organizer_id));
diesel::joinable!(meetups -> meetup_series (series_id));
diesel::joinable!(meetups -> users (organizer_id));
diesel::joinable!(member_content_action_items -> member_content_actions (log_id));
diesel::joinable!(member_content_actions -> users (member_id));
diesel::joinable!(member_days -> users (user_id));
diesel::joinable!(mentor_profiles -> users (user_id));
diesel::joinable!(mentorship_requests -> conversations (conversation_id));
diesel::joinable!(message_preferences -> users (user_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::joinable!(moderation_log -> users (actor_id));
diesel::joinable!(notification_counters -> users (user_id));
diesel::joinable!(notification_deliveries -> users (user_id));
diesel::joinable!(notifications -> conversations (conversation_id));
diesel::joinable!(notifications -> meetups (meetup_id));
diesel::joinable!(notifications -> mentorship_requests (mentorship_request_id));
diesel::joinable!(notifications -> messages (message_id));
diesel::joinable!(notifications -> replies (reply_id));
diesel::joinable!(notifications -> threads (thread_id));
diesel::joinable!(oauth_codes -> users (user_id));
diesel::joinable!(oauth_states -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(reading_marks -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (family_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(replies -> threads (thread_id));
diesel::joinable!(replies -> users (author_id));
diesel::joinable!(reply_votes -> replies (reply_id));
diesel::joinable!(reply_votes -> users (user_id));
diesel::joinable!(report_claims -> users (moderator_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tag_subscriptions -> users (user_id));
diesel::joinable!(thread_activity -> threads (thread_id));
diesel::joinable!(thread_reads -> threads (thread_id));
diesel::joinable!(thread_reads -> users (user_id));
diesel::joinable!(thread_solutions -> replies (reply_id));
diesel::joinable!(thread_solutions -> threads (thread_id));
diesel::joinable!(thread_solutions -> users (chosen_by));
diesel::joinable!(thread_subscriptions -> threads (thread_id));
diesel::joinable!(thread_subscriptions -> users (user_id));
diesel::joinable!(thread_votes -> threads (thread_id));
diesel::joinable!(thread_votes -> users (user_id));
diesel::joinable!(threads -> users (author_id));
diesel::joinable!(totp_secrets -> users (user_id));
diesel::joinable!(unsubscribe_tokens_used -> users (user_id));
diesel::joinable!(upload_uses -> replies (reply_id));
diesel::joinable!(upload_uses -> threads (thread_id));
diesel::joinable!(upload_uses -> uploads (upload_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(webauthn_ceremonies -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhooks -> users (created_by));

diesel::allow_tables_to_appear_in_same_query!(
    account_export_chunks,
    account_exports,
    api_tokens,
    appeals,
    calendar_feeds,
    conversation_participants,
    conversations,
    drafts,
    identities,
    jobs,
    mail_bounces,
    meetup_rsvps,
    meetup_series,
    meetups,
    member_content_action_items,
    member_content_actions,
    member_days,
    mentor_profiles,
    mentorship_requests,
    message_preferences,
    messages,
    mfa_challenges,
    moderation_log,
    notification_counters,
    notification_deliveries,
    notifications,
    oauth_codes,
    oauth_states,
    onebox_cache,
    passkeys,
    rate_limit_buckets,
    reading_marks,
    recent_writes,
    recovery_codes,
    refresh_tokens,
    replies,
    reply_votes,
    report_claims,
    reports,
    rerender_progress,
    reserved_usernames,
    scheduled_runs,
    search_documents,
    search_lexemes,
    search_rebuilds,
    sessions,
    stats_backfills,
    stats_days,
    stats_periods,
    tag_subscriptions,
    tags,
    thread_activity,
    thread_reads,
    thread_solutions,
    thread_subscriptions,
    thread_votes,
    threads,
    totp_secrets,
    unsubscribe_tokens_used,
    upload_objects,
    upload_uses,
    uploads,
    user_blocks,
    user_tokens,
    users,
    webauthn_ceremonies,
    webhook_deliveries,
    webhook_events,
    webhooks,
);
