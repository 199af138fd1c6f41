using DmpApi.Auth;

namespace DmpApi.Access;

/// <summary>
/// Told of each read decision on a record, then of the request's end (DMP-RULES §4: the patient's notifications are
/// built from them). Declared here so that Access knows no notification; Notifications implements it.
/// </summary>
public interface IAccessDecisionObserver
{
    void Accessed(Requester requester, string patientId, RecordDirectives record, AccessDecision decision);

    /// <summary>Called once the endpoint's own transaction is over.</summary>
    Task FlushAsync();
}
