-- v2: incident summaries carry what waits for whom (roles, open requests, updates due,
-- roles just handed over). No table changes: after this step warroom folds every stored
-- summary again from its events (`refold_summaries` in postgres.rs), so incidents whose
-- summary was written by an older version get the new fields too.
COMMENT ON COLUMN incidents.summary IS 'IncidentSummary as JSON, folded on append';
