-- Sign-ins are now counted per (username, client address) as well as per username and per
-- address, so the throttle holds a row per pair tried; expired rows are pruned by their
-- window's start, which this index finds without a scan.
CREATE INDEX login_throttle_window_start_idx ON login_throttle (window_start);
