"""Rules as code: the measure model, the rule language, facts and profiles, and pack loading."""
