-- A note's installments are a ~3 KB jsonb written once per note at clearing and again by servicing.
-- Above 2 KB PostgreSQL compresses the value; its default, pglz, costs most of the time of inserting a
-- clearing's ten thousand notes, lz4 a fraction of it (docs/performance.md "Clearing"). Only new values
-- are written with lz4: stored ones stay pglz and both are read alike. A server built without lz4
-- (PGlite) keeps pglz: the same SQL runs everywhere and the data is the same.
DO $$
BEGIN
  ALTER TABLE "loan_notes" ALTER COLUMN "installments" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
