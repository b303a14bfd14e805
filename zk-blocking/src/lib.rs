//! Drivers that give the sans-IO session a socket and a clock.
