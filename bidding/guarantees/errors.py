"""Guarantee refusals: every way a guarantee fails has its own problem type, so a client can tell them apart."""

from __future__ import annotations

from core.errors import Conflict, DomainError, InvalidInput, RuleViolation


class GuaranteeRejected(InvalidInput):
    """Base of every verification failure of a guarantee PDF (422)."""

    code = "guarantee-rejected"
    title = "Guarantee rejected"


class NotAPdf(GuaranteeRejected):
    """The upload is not a PDF at all."""

    status = 415
    code = "guarantee-not-pdf"
    title = "A guarantee must be a PDF"


class GuaranteeUnsigned(GuaranteeRejected):
    """The PDF carries no signature."""

    code = "guarantee-unsigned"
    title = "Guarantee is not signed"


class SignatureBroken(GuaranteeRejected):
    """The signed bytes were altered (a flipped byte) or the signature does not verify."""

    code = "guarantee-signature-broken"
    title = "Guarantee signature does not verify"


class ContentModifiedAfterSigning(GuaranteeRejected):
    """An incremental update appended after the signature changes the document's content."""

    code = "guarantee-content-modified"
    title = "Guarantee content was changed after signing"


class MetadataModifiedAfterSigning(GuaranteeRejected):
    """An unsigned incremental update (metadata only) was appended after the signature."""

    code = "guarantee-metadata-modified"
    title = "Guarantee was updated after signing"


class TimestampMissing(GuaranteeRejected):
    """No time-stamp from a trusted TSA, so the signing time cannot be established."""

    code = "guarantee-timestamp-missing"
    title = "Guarantee signature has no trusted time-stamp"


class CertificateExpired(GuaranteeRejected):
    """The signer's certificate was not valid at the moment of the time-stamp."""

    code = "guarantee-certificate-expired"
    title = "Guarantee signed outside its certificate's validity"


class UntrustedRoot(GuaranteeRejected):
    """The signer's certificate does not chain to a trusted guarantor root."""

    code = "guarantee-untrusted-root"
    title = "Guarantee issuer is not trusted"


class SignatureNotAccepted(GuaranteeRejected):
    """pyHanko's bottom line is false for a reason none of the specific checks names."""

    code = "guarantee-signature-not-accepted"
    title = "Guarantee signature not accepted"


class GuaranteeDataInvalid(GuaranteeRejected):
    """The signed revision lacks a well-formed guarantee.json."""

    code = "guarantee-data-invalid"
    title = "Guarantee data missing or malformed"


class IssuerMismatch(GuaranteeRejected):
    """The issuer named in the data is not the organization the signing certificate was issued to."""

    code = "guarantee-issuer-mismatch"
    title = "Guarantee issuer does not match its signer"


class WrongBeneficiary(GuaranteeRejected):
    """The beneficiary is not the tender's tenderee."""

    code = "guarantee-wrong-beneficiary"
    title = "Guarantee names the wrong beneficiary"


class WrongTender(GuaranteeRejected):
    """The guarantee is for another tender or lot."""

    code = "guarantee-wrong-tender"
    title = "Guarantee is for another tender or lot"


class WrongApplicant(GuaranteeRejected):
    """The applicant is not the bidder the guarantee is presented for."""

    code = "guarantee-wrong-applicant"
    title = "Guarantee names another applicant"


class AmountTooLow(GuaranteeRejected):
    """The guaranteed amount is below the bid bond the lot requires (or in another currency)."""

    code = "guarantee-amount-too-low"
    title = "Guarantee amount below the required bid bond"


class ValidityTooShort(GuaranteeRejected):
    """The guarantee expires before the bid validity period ends (rule 13: bond validity = bid validity)."""

    code = "guarantee-validity-too-short"
    title = "Guarantee expires before the bid validity ends"


class CashBondRefused(RuleViolation):
    """Rule 15: government procurement bid bonds are non-cash only."""

    code = "cash-bond-refused"
    title = "Cash bid bonds are refused in government procurement"


class BondFormNotAllowed(InvalidInput):
    """The tender does not accept this form of bid bond."""

    code = "bond-form-not-allowed"
    title = "Bond form not accepted by this tender"


class BiddingClosed(Conflict):
    """The bid deadline has passed; guarantees can no longer be lodged."""

    code = "bidding-closed"
    title = "Bidding is closed"


class DuplicateGuarantee(Conflict):
    """This guarantee (issuer and number) or an active one for the same bidder and lot is already lodged."""

    code = "duplicate-guarantee"
    title = "Guarantee already lodged"


class SealedUntilDeadline(DomainError):
    """Guarantees of a tender reveal who bids, so nobody but their parties sees them before the bid deadline."""

    status = 403
    code = "sealed-until-deadline"
    title = "Sealed until the bid deadline"


class GuaranteeClosed(Conflict):
    """The guarantee was already released, claimed or invalidated."""

    code = "guarantee-closed"
    title = "Guarantee already closed"


class RootRefused(InvalidInput):
    """The trusted root offered by the operator is not a CA certificate."""

    code = "trust-root-refused"
    title = "Trust root refused"
