"""Staff notices: texts to cadres and officers when work arrives on their 待办 and when its
deadline comes near or passes, batched into a few digests a day."""
