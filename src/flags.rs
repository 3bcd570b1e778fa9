//! The value types of flags that the services' settings use as well as the core's: a listener's
//! port and a duration. They live apart from `config.rs`, which gathers every service's settings,
//! so that a service's settings depend on no more than this.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A listener's port: a number, 0 for any free port, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSetting {
    Off,
    Port(u16),
}

impl FromStr for PortSetting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "off" | "OFF" | "none" | "disabled" => Ok(PortSetting::Off),
            n => n
                .parse()
                .map(PortSetting::Port)
                .map_err(|_| format!("expected a port number, 0 or `off`, got {s:?}")),
        }
    }
}

impl fmt::Display for PortSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSetting::Off => f.write_str("off"),
            PortSetting::Port(p) => write!(f, "{p}"),
        }
    }
}

/// A duration written as a number with an optional unit: s (default), m, h or d.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl(pub Duration);

/// Shown in `/_offcloud/info` as whole seconds.
impl serde::Serialize for Ttl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0.as_secs())
    }
}

impl FromStr for Ttl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => s.split_at(i),
            None => (s, "s"),
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("expected a duration such as 7d, 12h, 30m or 90s, got {s:?}"))?;
        let per = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(format!("unknown duration unit {unit:?} (use s, m, h or d)")),
        };
        // Times derived from the clock add these durations: see `clock::LONGEST`.
        n.checked_mul(per)
            .map(Duration::from_secs)
            .filter(|d| *d <= crate::clock::LONGEST)
            .map(Ttl)
            .ok_or_else(|| format!("{s:?} is too long: at most 36500d (100 years)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_accept_numbers_zero_and_off() {
        assert_eq!("4600".parse(), Ok(PortSetting::Port(4600)));
        assert_eq!("0".parse(), Ok(PortSetting::Port(0)));
        assert_eq!("off".parse(), Ok(PortSetting::Off));
        assert!("http".parse::<PortSetting>().is_err());
    }

    #[test]
    fn ttls_take_units() {
        assert_eq!("7d".parse(), Ok(Ttl(Duration::from_secs(604_800))));
        assert_eq!("90".parse(), Ok(Ttl(Duration::from_secs(90))));
        assert_eq!("30m".parse(), Ok(Ttl(Duration::from_secs(1800))));
        assert!("7w".parse::<Ttl>().is_err());
        assert_eq!("36500d".parse(), Ok(Ttl(crate::clock::LONGEST)));
        assert!("36501d".parse::<Ttl>().is_err());
        assert!("18446744073709551615d".parse::<Ttl>().is_err());
    }
}
