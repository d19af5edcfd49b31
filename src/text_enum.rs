//! States, roles and kinds stored as TEXT (each column kept to its values by a CHECK
//! constraint) and read as Rust enums. `text_enum!` declares such an enum once with the text
//! of each variant; reading a value the enum does not know is an error, never a default.

use std::fmt;

/// A stored or sent value that names no variant of the enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub of: &'static str,
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.of, self.value)
    }
}

impl std::error::Error for UnknownValue {}

/// Declares an enum stored in a TEXT column:
///
/// ```ignore
/// text_enum! {
///     /// A member's RSVP.
///     #[derive(Serialize, ToSchema)]
///     #[serde(rename_all = "lowercase")]
///     pub enum RsvpStatus ("RSVP status") {
///         Going => "going",
///         Waitlisted => "waitlisted",
///     }
/// }
/// ```
///
/// gives `Debug, Clone, Copy, PartialEq, Eq, Hash`, `ALL`, `as_str`, `Display`, `FromStr`
/// (error: `UnknownValue`), and diesel's `ToSql`/`FromSql` for `Text` on PostgreSQL, so the
/// enum is a column type in `Queryable`/`Insertable` structs and in the query DSL.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored and sent for this variant.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::text_enum::UnknownValue;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::text_enum::UnknownValue {
                        of: $what,
                        value: other.to_string(),
                    }),
                }
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                Ok(raw.parse::<$name>()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        /// A test enum.
        pub enum Colour ("colour") {
            Red => "red",
            DarkBlue => "dark_blue",
        }
    }

    #[test]
    fn every_variant_round_trips_through_its_text() {
        for colour in Colour::ALL {
            assert_eq!(colour.as_str().parse::<Colour>(), Ok(*colour));
            assert_eq!(colour.to_string(), colour.as_str());
        }
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
    }

    #[test]
    fn an_unknown_text_is_an_error_that_names_it() {
        let error = "green".parse::<Colour>().expect_err("unknown");
        assert_eq!(error.to_string(), "unknown colour \"green\"");
        assert!("Red".parse::<Colour>().is_err(), "matching is exact");
    }
}
