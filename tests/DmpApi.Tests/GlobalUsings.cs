// Hl7.Fhir.Model has its own Task resource; in the tests the name means the .NET type, as in src/DmpApi.
global using Task = System.Threading.Tasks.Task;
global using NUnit.Framework;
