using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class AuditChainPerWriter : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_AuditRecords_Sequence",
                table: "AuditRecords");

            migrationBuilder.AddColumn<Guid>(
                name: "ChainId",
                table: "AuditRecords",
                type: "uniqueidentifier",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AuditChains",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    Writer = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    HeadSequence = table.Column<long>(type: "bigint", nullable: false),
                    HeadHash = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditChains", x => x.Id);
                });

            migrationBuilder.Sql(DmpApi.Audit.LegacyAuditChain.AdoptionSql("CAST('00000000-0000-0000-0000-000000000000' AS uniqueidentifier)"));

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_ChainId_Sequence",
                table: "AuditRecords",
                columns: new[] { "ChainId", "Sequence" },
                unique: true,
                filter: "[ChainId] IS NOT NULL AND [Sequence] IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditChains");

            migrationBuilder.DropIndex(
                name: "IX_AuditRecords_ChainId_Sequence",
                table: "AuditRecords");

            migrationBuilder.DropColumn(
                name: "ChainId",
                table: "AuditRecords");

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_Sequence",
                table: "AuditRecords",
                column: "Sequence",
                unique: true,
                filter: "[Sequence] IS NOT NULL");
        }
    }
}
