-- views.sql — analysis views; dlnsweep creates them in every database it
-- writes (embedded at build time), and analysis/ scripts rely on them.
CREATE VIEW IF NOT EXISTS regime_counts AS
  SELECT sweep_id, regime, COUNT(*) AS n FROM runs GROUP BY sweep_id, regime;
