using System.Text.Json.Nodes;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// Accounts shaped as Pro Santé Connect describes a professional (docs/PRO-SANTE-CONNECT.md): idNatPs in preferred_username
/// and SubjectNameID, practices in SubjectRefPro.exercices, the regulation attribute and the access mode's reason in userinfo.
/// </summary>
public sealed class PscAccountBuilder
{
    private string _idNatPs = "8" + Random.Shared.NextInt64(10_000_000_000, 99_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private readonly List<string> _professions = ["10"];
    private string _regulation = "FAUX";
    private string? _accessMode;
    private string _reason = string.Empty;
    private string _scope = "openid user/*.cruds";

    public string IdNatPs => _idNatPs;

    public PscAccountBuilder WithIdNatPs(string idNatPs)
    {
        _idNatPs = idNatPs;
        return this;
    }

    /// <summary>The practices (exercices), first one first: TRE_G15 profession codes.</summary>
    public PscAccountBuilder Practising(params string[] professions)
    {
        _professions.Clear();
        _professions.AddRange(professions);
        return this;
    }

    public PscAccountBuilder Regulating()
    {
        _regulation = "VRAI";
        return this;
    }

    /// <summary>The access mode the software declared (TRE_R248_ModeAcces: normal, bris_de_glace, centre_15), carried in the access token.</summary>
    public PscAccountBuilder InMode(string accessMode, string reason = "")
    {
        _accessMode = accessMode;
        _reason = reason;
        return this;
    }

    public PscAccountBuilder WithScope(string scope)
    {
        _scope = scope;
        return this;
    }

    public TestOpenIdProvider.Account Build()
    {
        var subject = $"f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:{_idNatPs}";
        var tokenClaims = new Dictionary<string, object> { ["preferred_username"] = _idNatPs };
        if (_accessMode is not null)
        {
            tokenClaims["purpose_of_use"] = _accessMode;
        }

        var userInfo = new JsonObject
        {
            ["sub"] = subject,
            ["preferred_username"] = _idNatPs,
            ["SubjectNameID"] = _idNatPs,
            ["given_name"] = "KIT",
            ["family_name"] = "DOC" + _idNatPs[^4..],
            ["Secteur_Activite"] = "SA07^1.2.250.1.71.4.2.4",
            ["SubjectOrganization"] = "CABINET M DOC",
            ["Acces_Regulation_Medicale"] = _regulation,
            ["Mode_Acces_Raison"] = _reason,
            ["UITVersion"] = "1.0",
            ["Palier_Authentification"] = "APPPRIP3^1.2.250.1.213.1.5.1.1.1",
            ["SubjectRole"] = new JsonArray(_professions.Select(p => (JsonNode)JsonValue.Create($"{p}^1.2.250.1.213.1.1.5.5")!).ToArray()),
            ["SubjectRefPro"] = new JsonObject
            {
                ["codeCivilite"] = "M",
                ["exercices"] = new JsonArray(_professions.Select(p => (JsonNode)new JsonObject
                {
                    ["codeProfession"] = p,
                    ["codeCategorieProfessionnelle"] = "C",
                    ["codeTypeSavoirFaire"] = p == "10" ? "S" : "",
                    ["codeSavoirFaire"] = p == "10" ? "SM26" : "",
                    ["activities"] = new JsonArray(new JsonObject
                    {
                        ["codeModeExercice"] = "L",
                        ["codeSecteurDactivite"] = "SA07",
                        ["raisonSocialeSite"] = "CABINET M DOC",
                    }),
                }).ToArray()),
            },
        };
        return new TestOpenIdProvider.Account(subject, tokenClaims, userInfo, _scope);
    }
}
