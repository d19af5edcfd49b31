DROP TABLE account_export_chunks;
DROP TABLE account_exports;
