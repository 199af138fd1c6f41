using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Binaries",
                columns: table => new
                {
                    LogicalId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    DocumentId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ContentType = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: false),
                    Content = table.Column<byte[]>(type: "varbinary(max)", nullable: false),
                    LastUpdated = table.Column<DateTime>(type: "datetime2", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Binaries", x => x.LogicalId);
                });

            migrationBuilder.CreateTable(
                name: "PatientIdentities",
                columns: table => new
                {
                    System = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Value = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PatientIdentities", x => new { x.System, x.Value });
                });

            migrationBuilder.CreateTable(
                name: "Resources",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    ResourceType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    LogicalId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    VersionId = table.Column<int>(type: "int", nullable: false),
                    IsCurrent = table.Column<bool>(type: "bit", nullable: false),
                    IsDeleted = table.Column<bool>(type: "bit", nullable: false),
                    LastUpdated = table.Column<DateTime>(type: "datetime2", nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    Data = table.Column<byte[]>(type: "varbinary(max)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Resources", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DateIndex",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Start = table.Column<long>(type: "bigint", nullable: false),
                    End = table.Column<long>(type: "bigint", nullable: false),
                    ResourceRowId = table.Column<long>(type: "bigint", nullable: false),
                    ResourceType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ParamName = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DateIndex", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DateIndex_Resources_ResourceRowId",
                        column: x => x.ResourceRowId,
                        principalTable: "Resources",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReferenceIndex",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    TargetType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    TargetId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ResourceRowId = table.Column<long>(type: "bigint", nullable: false),
                    ResourceType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ParamName = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReferenceIndex", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReferenceIndex_Resources_ResourceRowId",
                        column: x => x.ResourceRowId,
                        principalTable: "Resources",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "StringIndex",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Normalized = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    Exact = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    ResourceRowId = table.Column<long>(type: "bigint", nullable: false),
                    ResourceType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ParamName = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StringIndex", x => x.Id);
                    table.ForeignKey(
                        name: "FK_StringIndex_Resources_ResourceRowId",
                        column: x => x.ResourceRowId,
                        principalTable: "Resources",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "TokenIndex",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    System = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: true),
                    Code = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: true),
                    ResourceRowId = table.Column<long>(type: "bigint", nullable: false),
                    ResourceType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ParamName = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TokenIndex", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TokenIndex_Resources_ResourceRowId",
                        column: x => x.ResourceRowId,
                        principalTable: "Resources",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Binaries_PatientId_DocumentId",
                table: "Binaries",
                columns: new[] { "PatientId", "DocumentId" });

            migrationBuilder.CreateIndex(
                name: "IX_DateIndex_ResourceRowId",
                table: "DateIndex",
                column: "ResourceRowId");

            migrationBuilder.CreateIndex(
                name: "IX_DateIndex_ResourceType_ParamName_PatientId_Start_End",
                table: "DateIndex",
                columns: new[] { "ResourceType", "ParamName", "PatientId", "Start", "End" });

            migrationBuilder.CreateIndex(
                name: "IX_PatientIdentities_PatientId",
                table: "PatientIdentities",
                column: "PatientId");

            migrationBuilder.CreateIndex(
                name: "IX_ReferenceIndex_ResourceRowId",
                table: "ReferenceIndex",
                column: "ResourceRowId");

            migrationBuilder.CreateIndex(
                name: "IX_ReferenceIndex_ResourceType_ParamName_TargetType_TargetId",
                table: "ReferenceIndex",
                columns: new[] { "ResourceType", "ParamName", "TargetType", "TargetId" });

            migrationBuilder.CreateIndex(
                name: "IX_Resources_PatientId_ResourceType_IsCurrent_LastUpdated",
                table: "Resources",
                columns: new[] { "PatientId", "ResourceType", "IsCurrent", "LastUpdated" });

            migrationBuilder.CreateIndex(
                name: "IX_Resources_ResourceType_LogicalId_VersionId",
                table: "Resources",
                columns: new[] { "ResourceType", "LogicalId", "VersionId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_StringIndex_ResourceRowId",
                table: "StringIndex",
                column: "ResourceRowId");

            migrationBuilder.CreateIndex(
                name: "IX_StringIndex_ResourceType_ParamName_Normalized_PatientId",
                table: "StringIndex",
                columns: new[] { "ResourceType", "ParamName", "Normalized", "PatientId" });

            migrationBuilder.CreateIndex(
                name: "IX_TokenIndex_ResourceRowId",
                table: "TokenIndex",
                column: "ResourceRowId");

            migrationBuilder.CreateIndex(
                name: "IX_TokenIndex_ResourceType_ParamName_Code_PatientId",
                table: "TokenIndex",
                columns: new[] { "ResourceType", "ParamName", "Code", "PatientId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Binaries");

            migrationBuilder.DropTable(
                name: "DateIndex");

            migrationBuilder.DropTable(
                name: "PatientIdentities");

            migrationBuilder.DropTable(
                name: "ReferenceIndex");

            migrationBuilder.DropTable(
                name: "StringIndex");

            migrationBuilder.DropTable(
                name: "TokenIndex");

            migrationBuilder.DropTable(
                name: "Resources");
        }
    }
}
