"""The working-day calendar: national holidays, 调休 make-up days, county corrections."""
