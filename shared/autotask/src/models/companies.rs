//! Companies (customers; id 0 is the MSP itself) and their contacts.

use super::model;
use chrono::{DateTime, Utc};

model! {
    /// `/Companies`. `isActive` is a bool here (unlike Contacts).
    Company = "Companies" + user_defined_fields {
        company_name: String = "companyName",
        company_number: String = "companyNumber",
        /// 1 Customer, 2 Lead, 3 Prospect, 4 Dead; higher codes vary — read the picklist.
        company_type: i64 = "companyType",
        company_category_id: i64 = "companyCategoryID",
        classification: i64 = "classification",
        is_active: bool = "isActive",
        owner_resource_id: i64 = "ownerResourceID",
        parent_company_id: i64 = "parentCompanyID",
        phone: String = "phone",
        fax: String = "fax",
        web_address: String = "webAddress",
        address1: String = "address1",
        address2: String = "address2",
        city: String = "city",
        state: String = "state",
        postal_code: String = "postalCode",
        country_id: i64 = "countryID",
        currency_id: i64 = "currencyID",
        territory_id: i64 = "territoryID",
        market_segment_id: i64 = "marketSegmentID",
        tax_id: String = "taxID",
        is_tax_exempt: bool = "isTaxExempt",
        is_client_portal_active: bool = "isClientPortalActive",
        api_vendor_id: i64 = "apiVendorID",
        created_by_resource_id: i64 = "createdByResourceID",
        #[serde(with = "crate::datetime::opt")]
        create_date: DateTime<Utc> = "createDate",
        #[serde(with = "crate::datetime::opt")]
        last_activity_date: DateTime<Utc> = "lastActivityDate",
        /// The change-tracking stamp for incremental sync (Companies have no
        /// `lastModifiedDateTime`).
        #[serde(with = "crate::datetime::opt")]
        last_tracked_modified_date_time: DateTime<Utc> = "lastTrackedModifiedDateTime",
    }
}

model! {
    /// `/Contacts`; written through `/Companies/{companyID}/Contacts`.
    /// `isActive` is an INT (1/0) — sending `true` is a parse error on the server.
    Contact = "Contacts" + user_defined_fields {
        company_id: i64 = "companyID",
        company_location_id: i64 = "companyLocationID",
        first_name: String = "firstName",
        last_name: String = "lastName",
        middle_initial: String = "middleInitial",
        title: String = "title",
        email_address: String = "emailAddress",
        email_address2: String = "emailAddress2",
        email_address3: String = "emailAddress3",
        phone: String = "phone",
        mobile_phone: String = "mobilePhone",
        extension: String = "extension",
        is_active: i32 = "isActive",
        primary_contact: bool = "primaryContact",
        receives_email_notifications: bool = "receivesEmailNotifications",
        external_id: String = "externalID",
        address_line: String = "addressLine",
        address_line1: String = "addressLine1",
        city: String = "city",
        state: String = "state",
        zip_code: String = "zipCode",
        country_id: i64 = "countryID",
        note: String = "note",
        #[serde(with = "crate::datetime::opt")]
        create_date: DateTime<Utc> = "createDate",
        #[serde(with = "crate::datetime::opt")]
        last_activity_date: DateTime<Utc> = "lastActivityDate",
        #[serde(with = "crate::datetime::opt")]
        last_modified_date: DateTime<Utc> = "lastModifiedDate",
    }
}

impl Contact {
    /// `isActive` as the bool it means.
    pub fn active(&self) -> Option<bool> {
        self.is_active.map(|v| v != 0)
    }

    /// "First Last", for naming a tenant after the primary contact.
    pub fn full_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
