-- Possible values per indicator, as data: a percentage of people is 0-100, but 経常収支比率 can
-- exceed 100% (Komae's own FY2005 figure is 100.2%), so the bounds cannot follow from the unit.
ALTER TABLE indicator_rules ADD COLUMN min_value DOUBLE;
ALTER TABLE indicator_rules ADD COLUMN max_value DOUBLE;
