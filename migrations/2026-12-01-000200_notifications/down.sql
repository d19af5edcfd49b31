DROP TRIGGER meetups_notifications ON meetups;
DROP TRIGGER threads_notifications ON threads;
DROP TRIGGER replies_notifications ON replies;
DROP FUNCTION notifications_follow_subject();
DROP FUNCTION notification_subject_gone(BIGINT, BIGINT, BIGINT);
DROP TABLE notification_deliveries;
DROP TABLE notifications;
DROP TABLE thread_subscriptions;
