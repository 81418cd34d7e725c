-- The uploaded original doubles as PeerTube's "input" web video file until HLS renditions exist
-- (PeerTube lists it in `files` with a torrent; `peertube-cli upload` waits for that torrent).
ALTER TABLE videos ADD COLUMN input_torrent_key TEXT;
ALTER TABLE videos ADD COLUMN input_infohash TEXT;
ALTER TABLE videos ADD COLUMN input_width INTEGER;
ALTER TABLE videos ADD COLUMN input_height INTEGER;
