DROP TABLE rerender_progress;
