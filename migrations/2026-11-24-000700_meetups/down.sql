DROP TRIGGER meetup_rsvps_counts ON meetup_rsvps;
DROP FUNCTION devforum_meetup_rsvp_counts();
DROP TABLE meetup_rsvps;
DROP TABLE meetups;
