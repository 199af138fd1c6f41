using DmpApi.Auth;

namespace DmpApi.Access;

/// <summary>
/// What one requester may see, handed by the access layer to every read of the store (DESIGN §2): no read
/// method of the store runs without one. It carries the requester; the DMP predicates (DMP-RULES §2) narrow it.
/// </summary>
public sealed record AccessScope(Requester Requester);
