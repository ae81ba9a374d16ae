"""Built-in header aliases: the column names CRM exports give each canonical field.

:data:`ALIASES` maps a kind to, per canonical field, the headers that name it in
out-of-the-box Salesforce exports (Account, Lead, User, Opportunity, OpportunityLineItem,
ForecastingQuota), HubSpot's (``Record ID``, ``Deal ID``, ``Line Item ID``), Pipedrive's
(``Organization - ZIP/Postal code of Address``, ``Deal - Value``, ``Deal - Status``...), Zoho
CRM's (``Billing Code``, ``Closing Date``, ``Account Name.id``...) and a few common spellings
(``zip``, ``lat``, ``lng``...). Headers and aliases are compared as
:func:`terraplan.io.mapping.normalize_header` gives them (case, spaces, underscores, hyphens
and dots do not matter). A field's aliases are listed in order of preference: of two columns
giving one field by an alias, :func:`terraplan.io.mapping.resolve_columns` reads the one whose
alias comes first (see its precedence rules for columns the mapping names). The currency columns of the money kinds are recognised by
:mod:`terraplan.io.currency`.
"""

from __future__ import annotations

_ACCOUNT_ALIASES = {
    "id": ("accountid", "account id", "companyid", "recordid", "hsobjectid", "organizationid"),
    "name": ("accountname", "company", "companyname", "organizationname"),
    "street": ("billingstreet", "address", "street address"),
    "city": ("billingcity", "organizationaddresscitytownvillagelocality"),
    "state": (
        "billingstate",
        "billingstateprovince",
        "billing state/province",
        "stateprovince",
        "stateregion",  # HubSpot companies: "State/Region"
        "organizationaddressstatecounty",  # Pipedrive: "Organization - Address - State/county"
    ),
    "postal_code": (
        "billingpostalcode",
        "billing zip/postal code",
        "billingzip",
        "billingzipcode",
        "billingpostcode",
        "zip",
        "zipcode",
        "postcode",
        "zip/postal code",
        "billingcode",  # Zoho CRM accounts
        "organizationaddresszippostalcode",  # Pipedrive organizations, both header forms
        "organizationzippostalcodeofaddress",
    ),
    "country": (
        "billingcountry",
        "billingcountrycode",
        "countrycode",
        "countryregion",
        "organizationaddresscountry",
    ),
    "latitude": ("billinglatitude", "lat"),
    "longitude": ("billinglongitude", "lon", "lng", "long"),
    "county_fips": ("countyfips", "fips"),
    "customer_type": ("type", "accounttype"),
    "employees": (
        "numberofemployees",
        "employeecount",
        "noofemployees",
        "organizationnumberofemployees",
    ),
    "annual_revenue": ("annualrevenue", "revenue", "organizationannualrevenue"),
    "currency": ("accountcurrency",),
    "owner_id": (
        "ownerid",
        "accountownerid",
        "accountowner",
        "owner",
        "companyowner",  # HubSpot companies
        "hubspotownerid",
        "organizationowner",  # Pipedrive
    ),
    "parent_id": ("parentid", "parentaccountid"),
    "industry": ("billingindustry", "accountindustry", "organizationindustry"),
    "closed_on": ("closeddate", "churndate", "churnedon", "inactivedate", "deactivationdate"),
    "active": ("isactive", "activeaccount"),
    "deleted": ("isdeleted",),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": _ACCOUNT_ALIASES,
    "leads": {
        "id": ("leadid", "contactid", "recordid", "hsobjectid"),
        "company": ("companyaccount", "companyname", "account name"),
        "postal_code": ("zip", "zipcode", "postcode", "zip/postal code"),
        "state": ("stateprovince",),
        "country": ("countrycode",),
        "latitude": ("lat",),
        "longitude": ("lon", "lng", "long"),
        # Zoho CRM's leads: "No. of Employees", as accounts of other exports write it
        "employees": ("numberofemployees", "noofemployees", "employeecount"),
        "annual_revenue": ("annualrevenue", "revenue"),
        "source": ("leadsource",),
        "created_date": ("createddate", "createdate", "createdtime"),
        "converted_opportunity_id": ("convertedopportunityid",),
        "deleted": ("isdeleted",),
    },
    "reps": {
        "id": ("userid", "repid"),
        "name": ("fullname", "repname"),
        "home_postal_code": ("postalcode", "zip", "zipcode", "zip/postal code", "homezip"),
        "country": ("countrycode", "homecountry", "countryregion"),
        "home_latitude": ("latitude", "lat"),
        "home_longitude": ("longitude", "lon", "lng"),
        "manager_id": ("managerid",),
        "role": ("userrole", "userrolename", "rolename", "title", "jobtitle"),
        # HubSpot's users export gives a rep's team as "Primary team"
        "region": ("department", "division", "primaryteam", "team", "salesteam"),
        "active": ("isactive",),
        "hire_date": ("hiredate", "startdate"),
    },
    "geo_units": {
        "id": ("geoid", "zip", "zipcode", "fips"),
        "latitude": ("lat",),
        "longitude": ("lon", "lng", "long"),
        "parent_id": ("parent", "county_fips"),
    },
    "sales_lines": {
        "id": (
            "lineid",
            "lineitemid",
            "opportunitylineitemid",
            "opportunityproductid",
            "orderitemid",
            "orderlineid",
            "orderlineitemid",
            "invoicelineid",
            "invoicelineitemid",
            "saleslineid",
            "recordid",
            "hsobjectid",
        ),
        "account_id": ("accountid",),
        "date": ("invoicedate", "orderdate", "servicedate"),
        "amount": ("totalprice",),
        "product": ("productname", "productcode"),
        "stage": ("stagename", "dealstage", "opportunitystage"),
        "deleted": ("isdeleted",),
    },
    "opportunities": {
        "id": ("opportunityid", "dealid", "recordid", "hsobjectid"),
        # HubSpot's deal export names the company by "Associated Company IDs (Primary)"
        "account_id": (
            "accountid",
            "associatedcompanyidsprimary",
            "associatedcompanyids(primary)",
            "associatedcompanyid",
            "associatedcompanyids",
            "companyid",
            "accountnameid",  # Zoho CRM deals: "Account Name.id"
            "organizationid",  # Pipedrive: the organization's id, when the export adds it
            "dealorganization",  # Pipedrive: the organization's name (matched to the id)
        ),
        "owner_id": (
            "ownerid",
            "opportunityowner",
            "opportunityownerid",
            "owner",
            "dealowner",
            "hubspotownerid",
        ),
        "name": ("opportunityname", "dealname", "dealtitle"),
        # Pipedrive's "Deal - Status" (open, won, lost, deleted) is a deal's outcome; its
        # "Deal - Stage" only the pipeline step a won or lost deal stopped at: status first
        "stage": ("dealstatus", "stagename", "dealstage"),
        "created_date": ("createddate", "createdate", "createdtime", "dealdealcreated"),
        # Pipedrive's close time is its won or lost time (its expected close date is a guess)
        "close_date": ("closedate", "closingdate", "dealclosetime"),
        "amount": ("amountusd", "totalamount", "dealvalue"),
        "is_closed": ("isclosed", "closed"),
        "is_won": ("iswon", "won"),
        "deleted": ("isdeleted",),
        "lead_source": ("leadsource",),
        "product": ("productname",),
        # Salesforce's and Zoho CRM's Type, HubSpot's Deal Type, Pipedrive's "Deal - Type"
        "deal_type": ("type", "dealtype", "opportunitytype"),
    },
    "acquisition_costs": {
        "id": ("costid", "acquisitioncostid", "expenseid"),
        "territory_id": ("territory",),
        "amount": ("cost", "spend"),
        "period_start": ("startdate", "start"),
        "period_end": ("enddate", "end"),
        "plan_id": ("plan",),
    },
    "targets": {
        "id": ("quotaid", "forecastingquotaid", "targetid"),
        "territory_id": ("territory",),
        "rep_id": ("ownerid", "userid", "rep", "quotaownerid", "quotaowner", "owner", "repname"),
        "plan_id": ("plan",),
        "amount": ("quota", "quotaamount", "target"),
        "period_start": ("startdate", "start"),
        "period_end": ("enddate", "end"),
    },
}
