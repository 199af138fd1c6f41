// Hl7.Fhir.Model has its own Task resource; here the name means the .NET type.
global using Task = System.Threading.Tasks.Task;
global using NUnit.Framework;
