"""Operations: backups that restore, the restore drill, metrics (issue 18)."""
