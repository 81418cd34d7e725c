-- Direct uploads to R2 (purpose 'video-direct'): the client PUTs parts to presigned URLs, so the
-- row sees no writes while bytes flow. The idle sweep waits for the last URL handed out to expire
-- before it aborts such an upload.
ALTER TABLE upload_sessions ADD COLUMN urls_expire_at INTEGER;
