// Hl7.Fhir.Model has its own Task and Expression resources; in this code base the names mean the .NET types.
global using Task = System.Threading.Tasks.Task;
global using Expression = System.Linq.Expressions.Expression;
