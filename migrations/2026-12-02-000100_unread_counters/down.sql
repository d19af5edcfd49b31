DROP TRIGGER notification_counters_delete ON notifications;
DROP FUNCTION notification_counters_delete();
DROP TRIGGER notification_counters_update ON notifications;
DROP FUNCTION notification_counters_update();
DROP TRIGGER notification_counters_insert ON notifications;
DROP FUNCTION notification_counters_insert();
DROP TABLE notification_counters;
