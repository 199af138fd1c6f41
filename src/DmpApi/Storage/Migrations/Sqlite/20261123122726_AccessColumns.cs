using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AccessColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "DepositedAt",
                table: "Resources",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DepositorIdNatPs",
                table: "Resources",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "IsInvisibleToPatient",
                table: "Resources",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "IsMasked",
                table: "Resources",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DepositedAt",
                table: "Resources");

            migrationBuilder.DropColumn(
                name: "DepositorIdNatPs",
                table: "Resources");

            migrationBuilder.DropColumn(
                name: "IsInvisibleToPatient",
                table: "Resources");

            migrationBuilder.DropColumn(
                name: "IsMasked",
                table: "Resources");
        }
    }
}
