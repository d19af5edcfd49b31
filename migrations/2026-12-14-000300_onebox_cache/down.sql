DROP TABLE onebox_cache;
