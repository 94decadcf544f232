"""一键报贫: farmers' self-reports of risk, verified and decided within deadlines."""
