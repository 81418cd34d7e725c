-- Remote videos (0011 gave them `ap_id` and `remote_document`): their poster images stay on their
-- origin. Their URLs are kept in columns of their own so that a page of videos is listed without
-- parsing each one's document.
ALTER TABLE videos ADD COLUMN remote_thumbnail_url TEXT;
ALTER TABLE videos ADD COLUMN remote_preview_url TEXT;
