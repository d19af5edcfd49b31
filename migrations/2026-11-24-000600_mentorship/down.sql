DROP TRIGGER mentorship_requests_active_mentees ON mentorship_requests;
DROP FUNCTION devforum_mentorship_active_mentees();
DROP TABLE mentorship_requests;
DROP TABLE mentor_profiles;
