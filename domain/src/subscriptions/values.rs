use std::fmt;
use std::str::FromStr;

use crate::TextError;

/// An ISO 4217 currency code: three uppercase letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let code = input.trim().to_ascii_uppercase();
        match <[u8; 3]>::try_from(code.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency(bytes)),
            _ => Err(TextError::Format {
                field: "currency",
                rule: "must be an ISO 4217 code: three letters such as BRL",
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money in integer minor units (cents), never floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

/// A price that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("price is {0} minor units, it must not be negative")]
    Negative(i64),
    #[error("price is {0} minor units, it must be at most {max}", max = Money::MAX_MINOR)]
    TooLarge(i64),
}

impl Money {
    /// The largest amount a price may have: 10 million in major units.
    pub const MAX_MINOR: i64 = 1_000_000_000;

    /// A non-negative amount up to [`Money::MAX_MINOR`]: a free plan costs 0.
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount_minor < 0 {
            return Err(MoneyError::Negative(amount_minor));
        }
        if amount_minor > Self::MAX_MINOR {
            return Err(MoneyError::TooLarge(amount_minor));
        }
        Ok(Money {
            amount_minor,
            currency,
        })
    }

    pub const fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_minor, self.currency)
    }
}

/// How often a subscription is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BillingPeriod {
    Monthly,
    Yearly,
}

impl BillingPeriod {
    pub const ALL: [BillingPeriod; 2] = [BillingPeriod::Monthly, BillingPeriod::Yearly];

    pub const fn as_str(self) -> &'static str {
        match self {
            BillingPeriod::Monthly => "MONTHLY",
            BillingPeriod::Yearly => "YEARLY",
        }
    }

    pub const fn months(self) -> u32 {
        match self {
            BillingPeriod::Monthly => 1,
            BillingPeriod::Yearly => 12,
        }
    }
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BillingPeriod {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BillingPeriod::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(TextError::Format {
                field: "billing_period",
                rule: "must be MONTHLY or YEARLY",
            })
    }
}

/// A payment provider's token for a customer's payment method (Stripe's `pm_…`; the development
/// provider's `card_<test number>`): 1 to 255 visible ASCII characters, never a card's data
/// itself in production.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(input: &str) -> Result<Self, TextError> {
        let token = input.trim();
        if token.is_empty() {
            return Err(TextError::Blank {
                field: "payment_method",
            });
        }
        if token.len() > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                field: "payment_method",
                max: Self::MAX_CHARS,
                len: token.chars().count(),
            });
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TextError::Format {
                field: "payment_method",
                rule: "must be a payment provider's token: visible ASCII, no spaces",
            });
        }
        Ok(PaymentMethod(token.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_is_three_letters() {
        assert_eq!(Currency::parse("brl").unwrap().as_str(), "BRL");
        for bad in ["", "BR", "BRLL", "B1L", "€€€"] {
            assert!(Currency::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn money_is_non_negative_minor_units() {
        let brl = Currency::parse("BRL").unwrap();
        assert_eq!(Money::new(2990, brl).unwrap().to_string(), "2990 BRL");
        assert!(Money::new(0, brl).is_ok());
        assert!(Money::new(Money::MAX_MINOR, brl).is_ok());
        assert_eq!(
            Money::new(Money::MAX_MINOR + 1, brl).unwrap_err(),
            MoneyError::TooLarge(Money::MAX_MINOR + 1)
        );
        assert_eq!(
            Money::new(-1, brl).unwrap_err().to_string(),
            "price is -1 minor units, it must not be negative"
        );
    }
}
